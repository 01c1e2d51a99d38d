.engine cpu
    frobnicate 1, 2
    end
