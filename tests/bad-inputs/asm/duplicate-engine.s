.engine cpu
    wait t1
    end
.engine cpu
    end
