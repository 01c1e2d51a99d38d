.const NNZU = 1000
.const NNZV = 600
.const PAIR = 8
.const U_DRAM = 262144
.const V_DRAM = 327680
.const U = 0
.const V = 12800
.const R = 17600
.engine cpu
    launch dma.0
    launch vpu.0
    wait t2
    end
.engine dma.0
    copy l2[0x0], dram[0x40000], 8000
    copy l2[0x3200], dram[0x50000], 4800
    copy l2[0x44c0], dram[0x4fff0], 2
    signal t0
    wait t1
    copy dram[0x40000], l2[0x0], 12800
    signal t2
    end
.engine vpu.0
    wait t0
    spaxpy l2[0x0], 0.5, l2[0x3200], 1000, 600, bf16
    spaxpy l2[0x0], l2[0x44c0], l2[0x3200], 1600, 600, bf16
    signal t1
    end
