.engine cpu
    loop 3
    nop
    end
