//! Splitting long slices across cores, for the stages whose items are independent (loading
//! files, formatting the entries of a long array, preparing fragments for the merge). Results
//! come back in order, so output never depends on scheduling.
//!
//! The work runs on rayon's pool rather than on threads spawned per stage: the allocator keeps
//! a heap per thread, and threads that live through every stage reuse the memory freed by the
//! last one instead of faulting in fresh pages each time.

use rayon::prelude::*;

/// Slices at least this long are split across cores (a rendered policy's `grants` and `tests`
/// run to thousands of entries); shorter ones are not worth the hand-off.
const PAR_MIN: usize = 512;

/// How a slice is split for parallel work: one contiguous range per core for long slices.
pub(crate) fn chunk_ranges(len: usize) -> impl Iterator<Item = std::ops::Range<usize>> {
    let size = chunk_size(len);
    (0..len).step_by(size).map(move |s| s..(s + size).min(len))
}

fn chunk_size(len: usize) -> usize {
    let workers = rayon::current_num_threads().min(8);
    #[cfg(test)]
    let workers = if SEQUENTIAL.get() { 1 } else { workers };
    let n = if len >= PAR_MIN { workers } else { 1 };
    len.div_ceil(n).max(1)
}

/// Runs `f(chunk index, index of the chunk's first item, chunk)` on each range of
/// `chunk_ranges`, in parallel when there are several; results in chunk order.
pub(crate) fn par_chunks<T: Send, R: Send>(items: &mut [T], f: impl Fn(usize, usize, &mut [T]) -> R + Sync) -> Vec<R> {
    let size = chunk_size(items.len());
    if size >= items.len() {
        return vec![f(0, 0, items)];
    }
    let f = &f;
    items.par_chunks_mut(size).enumerate().map(|(k, chunk)| f(k, k * size, chunk)).collect()
}

/// `par_chunks` for shared access.
pub(crate) fn par_chunks_ref<T: Sync, R: Send>(items: &[T], f: impl Fn(&[T]) -> R + Sync) -> Vec<R> {
    let size = chunk_size(items.len());
    if size >= items.len() {
        return vec![f(items)];
    }
    items.par_chunks(size).map(&f).collect()
}

/// Drops the items of a long vector across cores: freeing a loaded repository or a merged
/// tree is a million small frees, which otherwise run on one core after the parallel work.
pub(crate) fn par_drop<T: Send>(items: Vec<T>) {
    let size = chunk_size(items.len());
    if size < items.len() {
        // Dropped where they lie, a chunk per core, without moving them first.
        items.into_par_iter().with_min_len(size).for_each(drop);
    }
}

#[cfg(test)]
thread_local! {
    /// Runs everything on the calling thread, to compare with the parallel path in tests.
    pub static SEQUENTIAL: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn par_drop_drops_every_item_once() {
        static DROPPED: AtomicUsize = AtomicUsize::new(0);
        struct Counted;
        impl Drop for Counted {
            fn drop(&mut self) {
                DROPPED.fetch_add(1, Ordering::Relaxed);
            }
        }
        for n in [0, 1, super::PAR_MIN - 1, super::PAR_MIN, 5 * super::PAR_MIN + 3] {
            DROPPED.store(0, Ordering::Relaxed);
            super::par_drop((0..n).map(|_| Counted).collect());
            assert_eq!(DROPPED.load(Ordering::Relaxed), n);
        }
    }
}
