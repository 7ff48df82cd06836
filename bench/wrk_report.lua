-- Makes wrk print one machine-readable line next to its human summary, so run.sh does not
-- parse wrk's unit-suffixed text ("1.23ms", "4.5GB"). Latency percentiles are in microseconds,
-- from the same histogram wrk --latency prints. Only done() is defined, so wrk stays on its
-- fast path (no Lua call per request or response).
done = function(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "WRKSTATS requests=%d bytes=%d duration_us=%d p50_us=%d p99_us=%d " ..
      "err_connect=%d err_read=%d err_write=%d err_status=%d err_timeout=%d\n",
      summary.requests, summary.bytes, summary.duration,
      latency:percentile(50), latency:percentile(99),
      e.connect, e.read, e.write, e.status, e.timeout))
end
