.const A = 1 / 0
.engine cpu
    end
