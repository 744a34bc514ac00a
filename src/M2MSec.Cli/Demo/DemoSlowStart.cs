namespace M2MSec.Cli.Demo;

/// <summary>
/// Issue 19, the fleet's slow start: <c>initial</c> devices in flight at first, and each device that leaves the flow admits two more
/// (its own slot and one new) until <c>limit</c> are in flight. With the whole first wave started at once, every device reached the
/// same stage at the same moment (key generation, then the DPF's single store writer) and the first departures came late — a ramp
/// the fixed cost paid; a growing window keeps the stages of the first devices apart, as in the steady state.
/// </summary>
internal sealed class DemoSlowStart : IDisposable
{
    private readonly SemaphoreSlim _window;
    private readonly int _limit;
    private int _size;

    public DemoSlowStart(int initial, int limit)
    {
        _limit = Math.Max(1, limit);
        _size = Math.Clamp(initial, 1, _limit);
        _window = new SemaphoreSlim(_size, _limit);
    }

    /// <summary>Devices that may be in flight now.</summary>
    public int Window => Volatile.Read(ref _size);

    /// <summary>Waits for a slot in the window.</summary>
    public Task EnterAsync(CancellationToken ct) => _window.WaitAsync(ct);

    /// <summary>The slot taken by <see cref="EnterAsync"/>: disposing it gives the slot back and, while the window grows, one more.</summary>
    public IDisposable Slot() => new Release(this);

    private void Leave()
    {
        var grow = 0;
        int size;
        while ((size = Volatile.Read(ref _size)) < _limit)
        {
            if (Interlocked.CompareExchange(ref _size, size + 1, size) == size)
            {
                grow = 1;
                break;
            }
        }
        _window.Release(1 + grow);
    }

    public void Dispose() => _window.Dispose();

    private sealed class Release(DemoSlowStart owner) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
                owner.Leave();
        }
    }
}
