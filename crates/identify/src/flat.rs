//! Ordered collections for the few entries a device or endpoint holds: sorted vectors
//! (`litemap`), not B-trees. A B-tree's first node has room for eleven entries whatever it
//! holds; at 100,000 devices, each with a handful of addresses, VLANs, names and services,
//! those empty slots were most of the inventory's memory. Every collection here is bounded
//! (the inventory's limits), so a sorted insert stays cheap.

use std::fmt;

pub(crate) use litemap::LiteMap as FlatMap;

/// A set kept as a sorted vector; iteration is in order, like `BTreeSet`.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct FlatSet<T>(FlatMap<T, ()>);

impl<T> Default for FlatSet<T> {
    fn default() -> Self {
        Self(FlatMap::new())
    }
}

impl<T: fmt::Debug> fmt::Debug for FlatSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

impl<T: Ord> FlatSet<T> {
    /// Adds `value`; false if it was there.
    pub(crate) fn insert(&mut self, value: T) -> bool {
        self.0.try_insert(value, ()).is_none()
    }

    pub(crate) fn contains(&self, value: &T) -> bool {
        self.0.contains_key(value)
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// In order.
    pub(crate) fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + '_ {
        self.0.keys()
    }
}

impl<T: Ord> Extend<T> for FlatSet<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        for v in iter {
            self.insert(v);
        }
    }
}

impl<T: Ord> FromIterator<T> for FlatSet<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut s = Self::default();
        s.extend(iter);
        s
    }
}

impl<T> IntoIterator for FlatSet<T> {
    type Item = T;
    type IntoIter = std::iter::Map<std::vec::IntoIter<(T, ())>, fn((T, ())) -> T>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_tuple_vec().into_iter().map(|(k, ())| k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_like_an_ordered_set() {
        let mut s = FlatSet::default();
        assert!(s.insert(3));
        assert!(s.insert(1));
        assert!(!s.insert(3));
        s.extend([2, 1]);
        assert_eq!(s.iter().copied().collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(s.len(), 3);
        assert!(s.contains(&2) && !s.contains(&4));
        assert_eq!(s.into_iter().collect::<Vec<_>>(), [1, 2, 3]);
    }
}
