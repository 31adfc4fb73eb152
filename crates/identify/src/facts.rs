//! The identity facts application protocols state about an endpoint (`tls.sni`,
//! `http.user_agent`, `lldp.system_name`, …), counted per distinct value.
//!
//! A 100,000-device hospital holds about a million of them, so each is kept small: the
//! (key, protocol) pair is a two-byte [`FactKind`] numbered by the inventory's [`FactKinds`],
//! and the value a [`CompactString`], inline up to 24 bytes (most SNIs, host names, versions
//! and AE titles), so the common fact costs one 32-byte slot and no allocation of its own.
//! Facts were a (`&str`, `String`, `&str`) key and a count (64 bytes plus the value's
//! allocation): the largest part of the inventory's memory at that scale.

use std::borrow::Cow;

use compact_str::CompactString;
use foldhash::HashMap;
use model::DeviceFact;

/// A (key, protocol) pair under which facts are filed, numbered by [`FactKinds`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct FactKind(u16);

/// Numbers the (key, protocol) pairs of one inventory in order of first sight. Keys are
/// `&'static str` vocabulary of the protocol parsers, so the table stays a few dozen entries.
#[derive(Debug, Default)]
pub(crate) struct FactKinds {
    names: Vec<(&'static str, &'static str)>,
    index: HashMap<(&'static str, &'static str), FactKind>,
}

impl FactKinds {
    /// The number of (`key`, `protocol`); `None` only past 65,536 distinct pairs, which static
    /// vocabularies cannot reach.
    pub(crate) fn kind(&mut self, key: &'static str, protocol: &'static str) -> Option<FactKind> {
        if let Some(k) = self.index.get(&(key, protocol)) {
            return Some(*k);
        }
        let k = FactKind(u16::try_from(self.names.len()).ok()?);
        self.names.push((key, protocol));
        self.index.insert((key, protocol), k);
        Some(k)
    }

    fn name(&self, kind: FactKind) -> (&'static str, &'static str) {
        self.names
            .get(usize::from(kind.0))
            .copied()
            .unwrap_or(("", ""))
    }
}

#[derive(Debug, Clone)]
struct Entry {
    value: CompactString,
    kind: FactKind,
    /// Messages it was stated in (saturating).
    count: u32,
}

/// Facts sorted by (kind, value), each with its count.
#[derive(Debug, Clone, Default)]
pub(crate) struct Facts(Vec<Entry>);

impl Facts {
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    fn find(&self, kind: FactKind, value: &str) -> Result<usize, usize> {
        self.0
            .binary_search_by(|e| (e.kind, e.value.as_str()).cmp(&(kind, value)))
    }

    /// Counts one more statement of (`kind`, `value`) if it is already held; false if not.
    pub(crate) fn count_again(&mut self, kind: FactKind, value: &str) -> bool {
        match self.find(kind, value) {
            Ok(i) => {
                self.0[i].count = self.0[i].count.saturating_add(1);
                true
            }
            Err(_) => false,
        }
    }

    /// Distinct values held under `kind`.
    pub(crate) fn values_of(&self, kind: FactKind) -> usize {
        let start = self.0.partition_point(|e| e.kind < kind);
        self.0[start..].partition_point(|e| e.kind == kind)
    }

    /// Adds (`kind`, `value`) seen `count` times, or adds the count to the one held.
    pub(crate) fn add(&mut self, kind: FactKind, value: &str, count: u32) {
        match self.find(kind, value) {
            Ok(i) => self.0[i].count = self.0[i].count.saturating_add(count),
            Err(i) => {
                // Grow by half, not double: most endpoints stop at a handful of facts, and
                // doubling left a third of a million slots empty at 100,000 devices.
                if self.0.len() == self.0.capacity() {
                    self.0.reserve_exact((self.0.len() / 2).max(2));
                }
                self.0.insert(
                    i,
                    Entry {
                        value: CompactString::from(value),
                        kind,
                        count,
                    },
                );
            }
        }
    }

    /// Takes every fact of `other` (an endpoint joining its device).
    pub(crate) fn merge(&mut self, other: Facts) {
        if self.0.is_empty() {
            *self = other;
            return;
        }
        for e in other.0 {
            self.add(e.kind, &e.value, e.count);
        }
    }

    /// The device's facts sorted by key, value, then protocol: at most `per_key` values of a
    /// key and `max` in all.
    pub(crate) fn to_device_facts(
        &self,
        kinds: &FactKinds,
        per_key: usize,
        max: usize,
    ) -> Vec<DeviceFact> {
        let mut named: Vec<(&'static str, &str, &'static str, u32)> = self
            .0
            .iter()
            .map(|e| {
                let (key, protocol) = kinds.name(e.kind);
                (key, e.value.as_str(), protocol, e.count)
            })
            .collect();
        named.sort_unstable();
        // Sorted: each key's values are one run, counted as it goes.
        let mut run: Option<(&str, usize)> = None;
        named
            .into_iter()
            .filter(|&(key, _, _, _)| {
                let n = match &mut run {
                    Some((k, n)) if *k == key => n,
                    _ => &mut run.insert((key, 0)).1,
                };
                *n += 1;
                *n <= per_key
            })
            .take(max)
            .map(|(key, value, source, count)| DeviceFact {
                key: Cow::Borrowed(key),
                value: value.to_owned(),
                source: Cow::Borrowed(source),
                count: u64::from(count),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_count_merge_and_come_out_sorted_by_name() {
        let mut kinds = FactKinds::default();
        // Numbered in order of sight, so kind order is not name order.
        let ua = kinds.kind("http.user_agent", "http").unwrap();
        let sni = kinds.kind("tls.sni", "tls").unwrap();
        let host = kinds.kind("http.host", "http").unwrap();
        assert_eq!(kinds.kind("tls.sni", "tls"), Some(sni));

        let mut a = Facts::default();
        a.add(sni, "b.example", 1);
        a.add(sni, "a.example", 1);
        assert!(a.count_again(sni, "a.example"));
        assert!(!a.count_again(sni, "c.example"));
        a.add(ua, "a long user agent string that does not fit inline", 1);
        let mut b = Facts::default();
        b.add(host, "h.example", 2);
        b.add(sni, "a.example", 3);
        a.merge(b);
        assert_eq!(a.len(), 4);
        assert_eq!(a.values_of(sni), 2);
        assert_eq!(a.values_of(host), 1);

        let out = a.to_device_facts(&kinds, 8, 64);
        let got: Vec<(&str, &str, &str, u64)> = out
            .iter()
            .map(|f| (&*f.key, f.value.as_str(), &*f.source, f.count))
            .collect();
        assert_eq!(
            got,
            [
                ("http.host", "h.example", "http", 2),
                (
                    "http.user_agent",
                    "a long user agent string that does not fit inline",
                    "http",
                    1
                ),
                ("tls.sni", "a.example", "tls", 5),
                ("tls.sni", "b.example", "tls", 1),
            ]
        );
        // Bounds: one value per key, two facts in all.
        let out = a.to_device_facts(&kinds, 1, 2);
        let keys: Vec<&str> = out.iter().map(|f| &*f.key).collect();
        assert_eq!(keys, ["http.host", "http.user_agent"]);
    }
}
