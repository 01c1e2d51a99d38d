    nop
    end
