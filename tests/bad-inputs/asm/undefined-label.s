.engine cpu
    jmp nowhere
    end
