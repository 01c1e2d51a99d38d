.engine cpu
    launch spu.99.0
    end
