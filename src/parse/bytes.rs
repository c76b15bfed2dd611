//! The bytes of a literal or of the extra around a value, in 16 bytes.
//!
//! A policy tree holds two or three of these per value (hundreds of thousands of values for
//! a repository of grant files), and most are short: a space, a newline and tabs, a key in
//! quotes. So up to [`INLINE`] bytes live in the value itself; longer ones take one
//! allocation. At 16 bytes (a `Vec` or a `SmallVec` takes 24) the literal's own node fits in
//! 16 as well, which is most of what makes a value 56 bytes rather than 96.

use std::fmt;
use std::ops::Deref;

use thin_vec::ThinVec;

/// How many bytes are kept without an allocation.
pub(crate) const INLINE: usize = 14;

#[derive(Clone)]
pub(crate) enum Bytes {
    Inline {
        len: u8,
        buf: [u8; INLINE],
    },
    /// Longer than [`INLINE`]: a vector whose length and capacity sit in its allocation, so
    /// that it takes one pointer here.
    Heap(ThinVec<u8>),
}

// Inlined: the parser and the formatter call these for every value.
impl Bytes {
    #[inline]
    pub(crate) const fn new() -> Bytes {
        Bytes::Inline { len: 0, buf: [0; INLINE] }
    }

    #[inline]
    pub(crate) fn from_slice(s: &[u8]) -> Bytes {
        if s.len() <= INLINE {
            let mut buf = [0; INLINE];
            buf[..s.len()].copy_from_slice(s);
            // Fits: INLINE < 256.
            Bytes::Inline { len: s.len() as u8, buf }
        } else {
            Bytes::Heap(ThinVec::from(s))
        }
    }

    pub(crate) fn from_vec(v: Vec<u8>) -> Bytes {
        Bytes::from_slice(&v)
    }

    #[inline]
    pub(crate) fn as_slice(&self) -> &[u8] {
        match self {
            Bytes::Inline { len, buf } => &buf[..usize::from(*len)],
            Bytes::Heap(v) => v,
        }
    }

    #[inline]
    pub(crate) fn clear(&mut self) {
        *self = Bytes::new();
    }

    /// Keeps the first `n` bytes (all of them when there are fewer).
    pub(crate) fn truncate(&mut self, n: usize) {
        match self {
            Bytes::Inline { len, .. } => *len = (*len).min(n.min(INLINE) as u8),
            Bytes::Heap(v) if n <= INLINE => *self = Bytes::from_slice(&v[..n.min(v.len())]),
            Bytes::Heap(v) => v.truncate(n),
        }
    }

    #[inline]
    pub(crate) fn extend_from_slice(&mut self, s: &[u8]) {
        match self {
            Bytes::Inline { len, buf } if usize::from(*len) + s.len() <= INLINE => {
                let at = usize::from(*len);
                buf[at..at + s.len()].copy_from_slice(s);
                *len += s.len() as u8;
            }
            Bytes::Inline { len, buf } => {
                let mut v = ThinVec::with_capacity(usize::from(*len) + s.len());
                v.extend_from_slice(&buf[..usize::from(*len)]);
                v.extend_from_slice(s);
                *self = Bytes::Heap(v);
            }
            Bytes::Heap(v) => v.extend_from_slice(s),
        }
    }

    #[inline]
    pub(crate) fn push(&mut self, b: u8) {
        self.extend_from_slice(&[b]);
    }

    /// Moves the bytes of `other` to the end of these, leaving `other` empty.
    pub(crate) fn append(&mut self, other: &mut Bytes) {
        self.extend_from_slice(other);
        other.clear();
    }
}

impl Default for Bytes {
    fn default() -> Bytes {
        Bytes::new()
    }
}

impl Deref for Bytes {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl Extend<u8> for Bytes {
    fn extend<I: IntoIterator<Item = u8>>(&mut self, iter: I) {
        for b in iter {
            self.push(b);
        }
    }
}

/// Equal when the bytes are, however they are held.
impl PartialEq for Bytes {
    fn eq(&self, other: &Bytes) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for Bytes {}

impl fmt::Debug for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_slice(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::{Bytes, INLINE};

    #[test]
    fn sixteen_bytes_and_a_niche_for_the_node() {
        assert_eq!(std::mem::size_of::<Bytes>(), 16);
        assert_eq!(std::mem::size_of::<super::super::Node>(), 16);
    }

    /// Every edit gives the bytes a `Vec` would hold, across the inline limit both ways.
    #[test]
    fn edits_behave_as_on_a_vec() {
        for n in [0, 1, INLINE - 1, INLINE, INLINE + 1, 40] {
            let start: Vec<u8> = (0..n as u8).collect();
            let mut b = Bytes::from_slice(&start);
            let mut v = start.clone();
            assert_eq!(&b[..], &v[..]);
            b.push(b'x');
            v.push(b'x');
            assert_eq!(&b[..], &v[..]);
            b.extend_from_slice(b"  \n\t");
            v.extend_from_slice(b"  \n\t");
            assert_eq!(&b[..], &v[..]);
            b.extend(std::iter::repeat_n(b' ', 3));
            v.extend(std::iter::repeat_n(b' ', 3));
            assert_eq!(&b[..], &v[..]);
            for keep in [v.len() + 5, v.len(), INLINE + 1, INLINE, 2, 0] {
                b.truncate(keep);
                v.truncate(keep);
                assert_eq!(&b[..], &v[..], "truncate {keep} from {n}");
            }
            let mut other = Bytes::from_slice(&start);
            b.append(&mut other);
            assert_eq!(&b[..], &start[..]);
            assert!(other.is_empty());
            assert_eq!(b, Bytes::from_vec(start.clone()));
            b.clear();
            assert_eq!(b, Bytes::new());
        }
    }

    /// Equal bytes are equal whether inline or not.
    #[test]
    fn equality_is_by_content() {
        let mut long = Bytes::from_slice(&[b'a'; INLINE + 4]);
        long.truncate(INLINE + 1);
        let mut grown = Bytes::from_slice(&[b'a'; INLINE]);
        grown.push(b'a');
        assert_eq!(long, grown);
        assert_ne!(long, Bytes::from_slice(b"a"));
    }
}
