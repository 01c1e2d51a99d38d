.engine dma.0
    copy l2[0], dram[8], 99999999999999999999
    end
