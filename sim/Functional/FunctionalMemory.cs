using Antoum.Isa;

namespace Antoum.Sim.Functional;

/// <summary>
/// Backing bytes of the card's memories in functional mode only: host memory, every DRAM interface, every cluster's
/// L2 and every SPU's L1, each a sparse store of 64 KiB pages created on first write (unwritten bytes read as zero).
/// Addresses are fully qualified <see cref="MemRef"/>s (the engines resolve "local" parts first).
/// </summary>
public sealed class FunctionalMemory
{
    private const int PageBits = 16;
    private const int PageSize = 1 << PageBits;
    private readonly Dictionary<long, byte[]> _pages = [];

    /// <summary>Bytes of pages allocated so far.</summary>
    public long AllocatedBytes => (long)_pages.Count * PageSize;

    private static long Region(MemRef m)
    {
        if (m.Chip < 0 || m.Cluster < 0 || m.Unit < 0)
        {
            throw new ArgumentException($"functional memory needs a fully qualified address, got {m}", nameof(m));
        }

        return ((long)m.Space << 12) | ((long)m.Chip << 8) | ((long)m.Cluster << 4) | (long)m.Unit;
    }

    private byte[]? Page(long region, ulong offset, bool create)
    {
        long key = (region << 36) | (long)(offset >> PageBits);
        if (_pages.TryGetValue(key, out byte[]? page))
        {
            return page;
        }

        if (!create)
        {
            return null;
        }

        page = new byte[PageSize];
        _pages[key] = page;
        return page;
    }

    public void Read(MemRef at, Span<byte> destination)
    {
        long region = Region(at);
        ulong offset = at.Offset;
        int done = 0;
        while (done < destination.Length)
        {
            int inPage = (int)(offset & (PageSize - 1));
            int n = Math.Min(PageSize - inPage, destination.Length - done);
            byte[]? page = Page(region, offset, create: false);
            if (page is null)
            {
                destination.Slice(done, n).Clear();
            }
            else
            {
                page.AsSpan(inPage, n).CopyTo(destination.Slice(done, n));
            }

            done += n;
            offset += (ulong)n;
        }
    }

    public byte[] Read(MemRef at, long bytes)
    {
        var data = new byte[bytes];
        Read(at, data);
        return data;
    }

    public void Write(MemRef at, ReadOnlySpan<byte> source)
    {
        long region = Region(at);
        ulong offset = at.Offset;
        int done = 0;
        while (done < source.Length)
        {
            int inPage = (int)(offset & (PageSize - 1));
            int n = Math.Min(PageSize - inPage, source.Length - done);
            source.Slice(done, n).CopyTo(Page(region, offset, create: true).AsSpan(inPage, n));
            done += n;
            offset += (ulong)n;
        }
    }

    /// <summary>
    /// A DMA descriptor: planes × rows of rowBytes; row r of plane p is at base + p·planeStride + r·stride on each side.
    /// Rows are copied in order, each read completely before it is written.
    /// </summary>
    public void Copy(MemRef dst, MemRef src, long planes, long rows, long rowBytes, long dstStride, long srcStride, long planeStride)
    {
        var row = new byte[rowBytes];
        for (long p = 0; p < planes; p++)
        {
            for (long r = 0; r < rows; r++)
            {
                Read(src with { Offset = src.Offset + (ulong)((p * planeStride) + (r * srcStride)) }, row);
                Write(dst with { Offset = dst.Offset + (ulong)((p * planeStride) + (r * dstStride)) }, row);
            }
        }
    }
}
