using System.Globalization;
using Antoum.Sim.Config;

namespace Antoum.Sim.Blocks.Codec;

/// <summary>A JPEG file the decoder model cannot accept: the message names the file, the byte offset and the problem.</summary>
public sealed class JpegFormatException : UserInputException
{
    public JpegFormatException(string source, long offset, string problem)
        : base(string.Create(CultureInfo.InvariantCulture, $"{source}: byte {offset} (0x{offset:X}): {problem}"))
    {
        Source = source;
        Offset = offset;
        Problem = problem;
    }

    /// <summary>The file (or name) that was read.</summary>
    public new string Source { get; }

    /// <summary>Byte offset in the file where the problem was found.</summary>
    public long Offset { get; }

    /// <summary>What was wrong, without file and offset.</summary>
    public string Problem { get; }
}

/// <summary>One component of a JPEG frame: id, sampling factors and the tables it uses.</summary>
public readonly record struct JpegComponent(int Id, int H, int V, int QuantTable, int DcTable, int AcTable);

/// <summary>
/// A parsed baseline JPEG: dimensions, sampling, restart interval and the compressed bits of every MCU, measured by
/// Huffman-decoding the whole entropy-coded segment (docs/codec.md).
/// </summary>
public sealed class JpegImage
{
    internal JpegImage(string source, long fileBytes, int width, int height, IReadOnlyList<JpegComponent> components, int mcuWidth, int mcuHeight,
        int mcusX, int mcusY, int blocksPerMcu, int restartInterval, int[] mcuBits, long[] intervalBits, long entropyBytes)
    {
        Source = source;
        FileBytes = fileBytes;
        Width = width;
        Height = height;
        Components = components;
        McuWidth = mcuWidth;
        McuHeight = mcuHeight;
        McusX = mcusX;
        McusY = mcusY;
        BlocksPerMcu = blocksPerMcu;
        RestartInterval = restartInterval;
        McuBits = mcuBits;
        IntervalBits = intervalBits;
        EntropyBytes = entropyBytes;
    }

    public string Source { get; }

    /// <summary>Size of the whole file in bytes.</summary>
    public long FileBytes { get; }

    public int Width { get; }

    public int Height { get; }

    public IReadOnlyList<JpegComponent> Components { get; }

    /// <summary>MCU size in pixels (16x16 at 4:2:0, 16x8 at 4:2:2, 8x8 at 4:4:4 and grayscale).</summary>
    public int McuWidth { get; }

    public int McuHeight { get; }

    public int McusX { get; }

    public int McusY { get; }

    public int Mcus => McusX * McusY;

    /// <summary>8x8 blocks per MCU: 6 at 4:2:0, 4 at 4:2:2, 3 at 4:4:4, 1 for grayscale.</summary>
    public int BlocksPerMcu { get; }

    /// <summary>MCUs per restart interval (DRI); 0 when the file has no restart markers.</summary>
    public int RestartInterval { get; }

    /// <summary>
    /// Compressed bits of each MCU in scan order: the Huffman codes and extra bits it consumed, 8 more per stuffed
    /// 0x00 byte read inside it, and the padding bits that end a restart interval on its last MCU.
    /// </summary>
    public IReadOnlyList<int> McuBits { get; }

    /// <summary>Compressed bits of each restart interval (one interval when there are no restart markers).</summary>
    public IReadOnlyList<long> IntervalBits { get; }

    /// <summary>Bytes of the entropy-coded segment (between the SOS header and EOI, markers included).</summary>
    public long EntropyBytes { get; }

    /// <summary>4:2:0, 4:2:2, 4:4:4, gray, or HxV of the first component for other layouts.</summary>
    public string Sampling
    {
        get
        {
            if (Components.Count == 1)
            {
                return "gray";
            }

            JpegComponent y = Components[0];
            bool chromaOne = true;
            for (int i = 1; i < Components.Count; i++)
            {
                chromaOne &= Components[i].H == 1 && Components[i].V == 1;
            }

            return (chromaOne, y.H, y.V) switch
            {
                (true, 2, 2) => "4:2:0",
                (true, 2, 1) => "4:2:2",
                (true, 1, 1) => "4:4:4",
                _ => string.Create(CultureInfo.InvariantCulture, $"{y.H}x{y.V}"),
            };
        }
    }

    /// <summary>Reads and parses a file; I/O problems are user errors naming the file.</summary>
    public static JpegImage Load(string path)
    {
        byte[] data;
        try
        {
            data = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserInputException($"{path}: cannot read the JPEG file: {e.Message}");
        }

        return JpegParser.Parse(data, path);
    }
}

/// <summary>
/// Baseline JPEG reader (ITU-T T.81): SOI, APPn, COM, DQT, SOF0, DHT, DRI, one interleaved SOS (or a single-component
/// scan for grayscale), RSTn, EOI. Progressive, lossless, hierarchical and arithmetic-coded files, multi-scan files,
/// truncated files and misplaced markers are rejected with the byte offset. The scan is Huffman-decoded symbol by
/// symbol (coefficient values are not reconstructed) to find every MCU's boundary and compressed size.
/// </summary>
public static class JpegParser
{
    public static JpegImage Parse(byte[] data, string source)
    {
        ArgumentNullException.ThrowIfNull(data);
        var r = new Reader(data, source);
        if (data.Length < 2 || data[0] != 0xFF || data[1] != 0xD8)
        {
            throw r.Error(0, data.Length < 2 ? "file too short to be a JPEG (expected the SOI marker FF D8)" : string.Create(CultureInfo.InvariantCulture,
                $"not a JPEG: expected the SOI marker FF D8, got {data[0]:X2} {(data.Length > 1 ? data[1] : 0):X2}"));
        }

        var quant = new bool[4];
        var dc = new HuffmanTable?[4];
        var ac = new HuffmanTable?[4];
        int restart = 0;
        int width = 0, height = 0;
        List<JpegComponent>? frame = null;
        int pos = 2;
        while (true)
        {
            int markerAt = pos;
            if (pos >= data.Length)
            {
                throw r.Error(pos, frame is null ? "file ends before the frame header (SOF0): truncated" : "file ends before the scan (SOS): truncated");
            }

            if (data[pos] != 0xFF)
            {
                throw r.Error(pos, string.Create(CultureInfo.InvariantCulture, $"expected a marker (FF xx), got byte {data[pos]:X2}"));
            }

            while (pos < data.Length && data[pos] == 0xFF)
            {
                pos++;
            }

            if (pos >= data.Length)
            {
                throw r.Error(markerAt, "file ends inside a marker: truncated");
            }

            int marker = data[pos++];
            switch (marker)
            {
                case 0xD8:
                    throw r.Error(markerAt, "second SOI marker (FF D8) inside the file");
                case 0xD9:
                    throw r.Error(markerAt, "EOI marker before any scan: the file has no image data");
                case >= 0xD0 and <= 0xD7:
                    throw r.Error(markerAt, string.Create(CultureInfo.InvariantCulture, $"restart marker RST{marker - 0xD0} (FF {marker:X2}) outside the entropy-coded data"));
                case 0x01:
                    continue;
                case 0xC2 or 0xC6 or 0xCA or 0xCE:
                    throw r.Error(markerAt, string.Create(CultureInfo.InvariantCulture, $"progressive JPEG (SOF{marker - 0xC0}, FF {marker:X2}) is not supported: only baseline sequential (SOF0)"));
                case 0xC9 or 0xCB or 0xCD or 0xCF or 0xCC:
                    throw r.Error(markerAt, string.Create(CultureInfo.InvariantCulture, $"arithmetic-coded JPEG (FF {marker:X2}) is not supported: only Huffman baseline (SOF0)"));
                case 0xC1 or 0xC3 or 0xC5 or 0xC7:
                    throw r.Error(markerAt, string.Create(CultureInfo.InvariantCulture, $"{(marker == 0xC1 ? "extended sequential" : marker == 0xC3 ? "lossless" : "hierarchical")} JPEG (SOF{marker - 0xC0}, FF {marker:X2}) is not supported: only baseline sequential (SOF0)"));
            }

            int length = r.SegmentLength(pos, marker);
            int body = pos + 2;
            int end = pos + length;
            switch (marker)
            {
                case >= 0xE0 and <= 0xEF:
                case 0xFE:
                    break;
                case 0xDB:
                    ReadDqt(r, body, end, quant);
                    break;
                case 0xC4:
                    ReadDht(r, body, end, dc, ac);
                    break;
                case 0xDD:
                    if (length != 4)
                    {
                        throw r.Error(markerAt, string.Create(CultureInfo.InvariantCulture, $"DRI segment length must be 4, got {length}"));
                    }

                    restart = (data[body] << 8) | data[body + 1];
                    break;
                case 0xC0:
                    if (frame is not null)
                    {
                        throw r.Error(markerAt, "second frame header (SOF0)");
                    }

                    frame = ReadSof(r, body, end, out width, out height);
                    break;
                case 0xDA:
                    if (frame is null)
                    {
                        throw r.Error(markerAt, "scan (SOS) before the frame header (SOF0)");
                    }

                    return ReadScan(r, markerAt, body, end, frame, width, height, quant, dc, ac, restart);
                default:
                    throw r.Error(markerAt, string.Create(CultureInfo.InvariantCulture, $"unexpected marker FF {marker:X2} in the headers"));
            }

            pos = end;
        }
    }

    private static void ReadDqt(Reader r, int pos, int end, bool[] quant)
    {
        while (pos < end)
        {
            int pq = r.Data[pos] >> 4;
            int tq = r.Data[pos] & 15;
            if (pq != 0)
            {
                throw r.Error(pos, "16-bit quantisation table (Pq = 1) is not baseline");
            }

            if (tq > 3)
            {
                throw r.Error(pos, string.Create(CultureInfo.InvariantCulture, $"quantisation table id {tq} (expected 0-3)"));
            }

            if (pos + 65 > end)
            {
                throw r.Error(pos, "DQT segment shorter than its 64-entry table");
            }

            quant[tq] = true;
            pos += 65;
        }
    }

    private static void ReadDht(Reader r, int pos, int end, HuffmanTable?[] dc, HuffmanTable?[] ac)
    {
        while (pos < end)
        {
            int tc = r.Data[pos] >> 4;
            int th = r.Data[pos] & 15;
            if (tc > 1 || th > 1)
            {
                throw r.Error(pos, string.Create(CultureInfo.InvariantCulture, $"Huffman table class {tc} id {th}: baseline allows class 0-1 and id 0-1"));
            }

            if (pos + 17 > end)
            {
                throw r.Error(pos, "DHT segment shorter than its 16 code-length counts");
            }

            var counts = new int[17];
            int total = 0;
            for (int l = 1; l <= 16; l++)
            {
                counts[l] = r.Data[pos + l];
                total += counts[l];
            }

            if (pos + 17 + total > end)
            {
                throw r.Error(pos, string.Create(CultureInfo.InvariantCulture, $"DHT table needs {total} symbols but the segment ends first"));
            }

            var values = new byte[total];
            Array.Copy(r.Data, pos + 17, values, 0, total);
            HuffmanTable t = HuffmanTable.Build(counts, values) ?? throw r.Error(pos, "Huffman code lengths over-subscribe the code space");
            (tc == 0 ? dc : ac)[th] = t;
            pos += 17 + total;
        }
    }

    private static List<JpegComponent> ReadSof(Reader r, int pos, int end, out int width, out int height)
    {
        byte[] d = r.Data;
        if (end - pos < 6)
        {
            throw r.Error(pos, "SOF0 segment too short");
        }

        if (d[pos] != 8)
        {
            throw r.Error(pos, string.Create(CultureInfo.InvariantCulture, $"sample precision {d[pos]} bits: baseline is 8"));
        }

        height = (d[pos + 1] << 8) | d[pos + 2];
        width = (d[pos + 3] << 8) | d[pos + 4];
        int n = d[pos + 5];
        if (height == 0 || width == 0)
        {
            throw r.Error(pos + 1, string.Create(CultureInfo.InvariantCulture, $"image size {width}x{height}: both must be > 0 (DNL-defined heights are not supported)"));
        }

        if (n != 1 && n != 3)
        {
            throw r.Error(pos + 5, string.Create(CultureInfo.InvariantCulture, $"{n} components: only grayscale (1) and YCbCr (3) are supported"));
        }

        if (end - pos != 6 + (3 * n))
        {
            throw r.Error(pos, string.Create(CultureInfo.InvariantCulture, $"SOF0 length does not match {n} components"));
        }

        var comps = new List<JpegComponent>(n);
        for (int i = 0; i < n; i++)
        {
            int c = pos + 6 + (3 * i);
            int h = d[c + 1] >> 4, v = d[c + 1] & 15, tq = d[c + 2];
            if (h < 1 || h > 4 || v < 1 || v > 4)
            {
                throw r.Error(c + 1, string.Create(CultureInfo.InvariantCulture, $"component {d[c]} sampling factors {h}x{v}: each must be 1-4"));
            }

            if (tq > 3)
            {
                throw r.Error(c + 2, string.Create(CultureInfo.InvariantCulture, $"component {d[c]} quantisation table {tq} (expected 0-3)"));
            }

            comps.Add(new JpegComponent(d[c], h, v, tq, 0, 0));
        }

        return comps;
    }

    private static JpegImage ReadScan(Reader r, int markerAt, int pos, int end, List<JpegComponent> frame, int width, int height, bool[] quant,
        HuffmanTable?[] dc, HuffmanTable?[] ac, int restart)
    {
        byte[] d = r.Data;
        int ns = d[pos];
        if (ns != frame.Count)
        {
            throw r.Error(markerAt, string.Create(CultureInfo.InvariantCulture,
                $"scan covers {ns} of {frame.Count} components: multi-scan (non-interleaved) files are not supported"));
        }

        if (end - pos != 4 + (2 * ns))
        {
            throw r.Error(markerAt, "SOS length does not match its component count");
        }

        var comps = new JpegComponent[ns];
        for (int i = 0; i < ns; i++)
        {
            int id = d[pos + 1 + (2 * i)];
            int td = d[pos + 2 + (2 * i)] >> 4, ta = d[pos + 2 + (2 * i)] & 15;
            int k = frame.FindIndex(c => c.Id == id);
            if (k < 0)
            {
                throw r.Error(pos + 1 + (2 * i), string.Create(CultureInfo.InvariantCulture, $"scan names component {id}, which the frame header does not define"));
            }

            if (td > 1 || ta > 1 || dc[td] is null || ac[ta] is null)
            {
                throw r.Error(pos + 2 + (2 * i), string.Create(CultureInfo.InvariantCulture, $"component {id} uses Huffman tables DC{td}/AC{ta}, which are not defined before the scan"));
            }

            if (!quant[frame[k].QuantTable])
            {
                throw r.Error(markerAt, string.Create(CultureInfo.InvariantCulture, $"component {id} uses quantisation table {frame[k].QuantTable}, which is not defined before the scan"));
            }

            comps[i] = frame[k] with { DcTable = td, AcTable = ta };
        }

        int ss = d[end - 3], se = d[end - 2], a = d[end - 1];
        if (ss != 0 || se != 63 || a != 0)
        {
            throw r.Error(end - 3, string.Create(CultureInfo.InvariantCulture, $"spectral selection {ss}-{se} and approximation {a >> 4}/{a & 15}: baseline needs 0-63 and 0/0"));
        }

        int hmax = 1, vmax = 1;
        foreach (JpegComponent c in comps)
        {
            hmax = Math.Max(hmax, c.H);
            vmax = Math.Max(vmax, c.V);
        }

        int mcuW, mcuH, blocksPerMcu;
        var blockComp = new List<int>();
        if (ns == 1)
        {
            // A single-component scan is not interleaved: one 8x8 block per MCU over the component's own size.
            mcuW = 8 * hmax / comps[0].H;
            mcuH = 8 * vmax / comps[0].V;
            blocksPerMcu = 1;
            blockComp.Add(0);
        }
        else
        {
            mcuW = 8 * hmax;
            mcuH = 8 * vmax;
            blocksPerMcu = 0;
            for (int i = 0; i < ns; i++)
            {
                for (int b = 0; b < comps[i].H * comps[i].V; b++)
                {
                    blockComp.Add(i);
                }

                blocksPerMcu += comps[i].H * comps[i].V;
            }

            if (blocksPerMcu > 10)
            {
                throw r.Error(markerAt, string.Create(CultureInfo.InvariantCulture, $"{blocksPerMcu} blocks per MCU: baseline allows at most 10"));
            }
        }

        int mcusX = (width + mcuW - 1) / mcuW, mcusY = (height + mcuH - 1) / mcuH;
        int mcus = mcusX * mcusY;
        var mcuBits = new int[mcus];
        int intervals = restart > 0 ? (mcus + restart - 1) / restart : 1;
        var intervalBits = new long[intervals];
        var bits = new BitReader(r, end);
        HuffmanTable[] dcOf = new HuffmanTable[blockComp.Count];
        HuffmanTable[] acOf = new HuffmanTable[blockComp.Count];
        for (int b = 0; b < blockComp.Count; b++)
        {
            dcOf[b] = dc[comps[blockComp[b]].DcTable]!;
            acOf[b] = ac[comps[blockComp[b]].AcTable]!;
        }

        int interval = 0;
        for (int m = 0; m < mcus; m++)
        {
            long before = bits.Consumed;
            for (int b = 0; b < dcOf.Length; b++)
            {
                DecodeBlock(ref bits, dcOf[b], acOf[b], m);
            }

            bool lastOfInterval = m == mcus - 1 || (restart > 0 && (m + 1) % restart == 0);
            if (lastOfInterval)
            {
                bits.AlignToByte();
            }

            int used = (int)(bits.Consumed - before);
            mcuBits[m] = used;
            intervalBits[interval] += used;
            if (lastOfInterval && m != mcus - 1)
            {
                bits.ExpectRestart(interval % 8);
                interval++;
            }
        }

        int eoi = bits.Position;
        while (eoi < d.Length && d[eoi] == 0xFF && eoi + 1 < d.Length && d[eoi + 1] == 0xFF)
        {
            eoi++;
        }

        if (eoi + 1 >= d.Length)
        {
            throw r.Error(eoi, "file ends after the last MCU without the EOI marker (FF D9): truncated");
        }

        if (d[eoi] != 0xFF || d[eoi + 1] != 0xD9)
        {
            throw r.Error(eoi, d[eoi] == 0xFF && d[eoi + 1] == 0xDA
                ? "second scan (SOS) after the first: multi-scan files are not supported"
                : string.Create(CultureInfo.InvariantCulture, $"expected the EOI marker FF D9 after the last MCU, got {d[eoi]:X2} {d[eoi + 1]:X2}"));
        }

        return new JpegImage(r.Source, d.Length, width, height, comps, mcuW, mcuH, mcusX, mcusY, blocksPerMcu, restart, mcuBits, intervalBits, eoi + 2 - end);
    }

    private static void DecodeBlock(ref BitReader bits, HuffmanTable dc, HuffmanTable ac, int mcu)
    {
        int s = bits.Decode(dc, mcu);
        if (s > 11)
        {
            throw bits.Error(string.Create(CultureInfo.InvariantCulture, $"DC difference category {s} in MCU {mcu} (baseline allows 0-11): corrupt data"));
        }

        bits.Skip(s, mcu);
        int k = 1;
        while (k < 64)
        {
            int rs = bits.Decode(ac, mcu);
            int run = rs >> 4, size = rs & 15;
            if (size == 0)
            {
                if (run != 15)
                {
                    return;
                }

                k += 16;
                continue;
            }

            k += run;
            if (k > 63 || size > 10)
            {
                throw bits.Error(string.Create(CultureInfo.InvariantCulture, $"AC coefficient past the end of the block (or size {size} > 10) in MCU {mcu}: corrupt data"));
            }

            bits.Skip(size, mcu);
            k++;
        }

        if (k > 64)
        {
            throw bits.Error(string.Create(CultureInfo.InvariantCulture, $"zero run past the end of the block in MCU {mcu}: corrupt data"));
        }
    }

    private sealed class Reader(byte[] data, string source)
    {
        public byte[] Data { get; } = data;

        public string Source { get; } = source;

        public JpegFormatException Error(long offset, string problem) => new(Source, offset, problem);

        public int SegmentLength(int pos, int marker)
        {
            if (pos + 2 > Data.Length)
            {
                throw Error(pos - 2, string.Create(CultureInfo.InvariantCulture, $"file ends inside the FF {marker:X2} segment header: truncated"));
            }

            int length = (Data[pos] << 8) | Data[pos + 1];
            if (length < 2)
            {
                throw Error(pos, string.Create(CultureInfo.InvariantCulture, $"segment FF {marker:X2} has length {length} (at least 2)"));
            }

            if (pos + length > Data.Length)
            {
                throw Error(pos - 2, string.Create(CultureInfo.InvariantCulture, $"segment FF {marker:X2} of {length} bytes runs past the end of the file: truncated"));
            }

            return length;
        }
    }

    /// <summary>Reads the entropy-coded segment bit by bit, undoing 0xFF00 stuffing and stopping at markers.</summary>
    private struct BitReader(Reader r, int start)
    {
        private readonly Reader _r = r;
        private int _pos = start;
        private int _byte;
        private int _left;

        /// <summary>Compressed bits consumed so far (stuffed zero bytes count 8).</summary>
        public long Consumed { get; private set; }

        /// <summary>Offset of the next unread byte.</summary>
        public readonly int Position => _pos;

        public readonly JpegFormatException Error(string problem) => _r.Error(Math.Max(0, _pos - 1), problem);

        public int Decode(HuffmanTable t, int mcu)
        {
            int code = 0;
            for (int len = 1; len <= 16; len++)
            {
                code = (code << 1) | Bit(mcu);
                if (code <= t.MaxCode[len])
                {
                    return t.Values[t.ValPtr[len] + code - t.MinCode[len]];
                }
            }

            throw Error(string.Create(CultureInfo.InvariantCulture, $"no Huffman code matches the bits in MCU {mcu}: corrupt data"));
        }

        public void Skip(int n, int mcu)
        {
            for (int i = 0; i < n; i++)
            {
                Bit(mcu);
            }
        }

        public void AlignToByte()
        {
            Consumed += _left;
            _left = 0;
        }

        public void ExpectRestart(int m)
        {
            byte[] d = _r.Data;
            if (_pos + 1 >= d.Length)
            {
                throw _r.Error(_pos, "file ends where a restart marker was expected: truncated");
            }

            if (d[_pos] != 0xFF || d[_pos + 1] != 0xD0 + m)
            {
                throw _r.Error(_pos, string.Create(CultureInfo.InvariantCulture, $"expected restart marker RST{m} (FF {0xD0 + m:X2}), got {d[_pos]:X2} {d[_pos + 1]:X2}"));
            }

            _pos += 2;
        }

        private int Bit(int mcu)
        {
            if (_left == 0)
            {
                byte[] d = _r.Data;
                if (_pos >= d.Length)
                {
                    throw _r.Error(_pos, string.Create(CultureInfo.InvariantCulture, $"file ends inside the entropy-coded data (MCU {mcu}): truncated"));
                }

                int b = d[_pos];
                if (b == 0xFF)
                {
                    if (_pos + 1 >= d.Length)
                    {
                        throw _r.Error(_pos, string.Create(CultureInfo.InvariantCulture, $"file ends inside the entropy-coded data (MCU {mcu}): truncated"));
                    }

                    int next = d[_pos + 1];
                    if (next != 0x00)
                    {
                        string what = next == 0xD9
                            ? string.Create(CultureInfo.InvariantCulture, $"EOI marker (FF D9) inside MCU {mcu}: the entropy-coded data is truncated")
                            : string.Create(CultureInfo.InvariantCulture, $"marker FF {next:X2} inside MCU {mcu}: the entropy-coded data is corrupt or truncated");
                        throw _r.Error(_pos, what);
                    }

                    _pos += 2;
                    Consumed += 8;
                }
                else
                {
                    _pos++;
                }

                _byte = b;
                _left = 8;
            }

            _left--;
            Consumed++;
            return (_byte >> _left) & 1;
        }
    }

    /// <summary>Canonical Huffman decoding table (T.81 Annex C / F.2.2.3): max and min code and value pointer per length.</summary>
    private sealed class HuffmanTable
    {
        public int[] MaxCode { get; } = new int[18];

        public int[] MinCode { get; } = new int[17];

        public int[] ValPtr { get; } = new int[17];

        public byte[] Values { get; private set; } = [];

        public static HuffmanTable? Build(int[] counts, byte[] values)
        {
            var t = new HuffmanTable { Values = values };
            int code = 0, k = 0;
            for (int len = 1; len <= 16; len++)
            {
                t.ValPtr[len] = k;
                t.MinCode[len] = code;
                code += counts[len];
                k += counts[len];
                t.MaxCode[len] = counts[len] == 0 ? -1 : code - 1;
                if (code > (1 << len))
                {
                    return null;
                }

                code <<= 1;
            }

            return t;
        }
    }
}
