//! Splitting long slices across cores, for the stages whose items are independent (formatting
//! the entries of a long array, preparing fragments for the merge). Results come back in order,
//! so output never depends on scheduling.

/// Slices at least this long are split across cores (a rendered policy's `grants` and `tests`
/// run to thousands of entries); shorter ones are not worth a thread.
const PAR_MIN: usize = 512;

/// How a slice is split for parallel work: one contiguous range per core for long slices.
pub fn chunk_ranges(len: usize) -> impl Iterator<Item = std::ops::Range<usize>> {
    static WORKERS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    let workers = *WORKERS.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()).min(8));
    #[cfg(test)]
    let workers = if SEQUENTIAL.get() { 1 } else { workers };
    let n = if len >= PAR_MIN { workers } else { 1 };
    let size = len.div_ceil(n).max(1);
    (0..len).step_by(size).map(move |s| s..(s + size).min(len))
}

/// Runs `f(chunk index, index of the chunk's first item, chunk)` on each range of
/// `chunk_ranges`, in parallel when there are several; results in chunk order.
pub fn par_chunks<T: Send, R: Send>(items: &mut [T], f: impl Fn(usize, usize, &mut [T]) -> R + Sync) -> Vec<R> {
    let ranges: Vec<_> = chunk_ranges(items.len()).collect();
    if ranges.len() <= 1 {
        return vec![f(0, 0, items)];
    }
    let mut parts = Vec::with_capacity(ranges.len());
    let mut rest = items;
    for r in &ranges {
        let (head, tail) = rest.split_at_mut(r.len());
        parts.push((r.start, head));
        rest = tail;
    }
    std::thread::scope(|scope| {
        let f = &f;
        let handles: Vec<_> =
            parts.into_iter().enumerate().map(|(k, (first, part))| scope.spawn(move || f(k, first, part))).collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
    })
}

/// `par_chunks` for shared access.
pub fn par_chunks_ref<T: Sync, R: Send>(items: &[T], f: impl Fn(&[T]) -> R + Sync) -> Vec<R> {
    let ranges: Vec<_> = chunk_ranges(items.len()).collect();
    if ranges.len() <= 1 {
        return vec![f(items)];
    }
    std::thread::scope(|scope| {
        let f = &f;
        let handles: Vec<_> = ranges.into_iter().map(|r| scope.spawn(move || f(&items[r]))).collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
    })
}

#[cfg(test)]
thread_local! {
    /// Runs everything on the calling thread, to compare with the parallel path in tests.
    pub static SEQUENTIAL: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}
