//! Intrusive doubly-linked lists over slab indices: O(1) move-to-back and unlink, no
//! allocation. Each timeout class keeps its flows ordered by last activity, so the flows to
//! expire (or evict) are always at the fronts.

/// "No entry" marker.
pub(crate) const NIL: u32 = u32::MAX;

/// Prev/next links of one slab entry.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Links {
    prev: u32,
    next: u32,
}

impl Default for Links {
    fn default() -> Self {
        Self {
            prev: NIL,
            next: NIL,
        }
    }
}

/// One list: head is the least recently touched entry.
#[derive(Debug, Clone, Copy)]
pub(crate) struct List {
    head: u32,
    tail: u32,
}

impl Default for List {
    fn default() -> Self {
        Self {
            head: NIL,
            tail: NIL,
        }
    }
}

impl List {
    /// The least recently touched entry.
    pub(crate) fn front(&self) -> Option<u32> {
        (self.head != NIL).then_some(self.head)
    }

    /// Appends `idx` (which must not be in any list).
    pub(crate) fn push_back(&mut self, links: &mut [Links], idx: u32) {
        links[idx as usize] = Links {
            prev: self.tail,
            next: NIL,
        };
        if self.tail == NIL {
            self.head = idx;
        } else {
            links[self.tail as usize].next = idx;
        }
        self.tail = idx;
    }

    /// Removes `idx` (which must be in this list).
    pub(crate) fn unlink(&mut self, links: &mut [Links], idx: u32) {
        let Links { prev, next } = links[idx as usize];
        if prev == NIL {
            self.head = next;
        } else {
            links[prev as usize].next = next;
        }
        if next == NIL {
            self.tail = prev;
        } else {
            links[next as usize].prev = prev;
        }
        links[idx as usize] = Links::default();
    }

    /// Moves `idx` (in this list) to the back.
    #[inline]
    pub(crate) fn touch(&mut self, links: &mut [Links], idx: u32) {
        if self.tail != idx {
            self.unlink(links, idx);
            self.push_back(links, idx);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(list: &List, links: &[Links]) -> Vec<u32> {
        let mut out = vec![];
        let mut cur = list.head;
        while cur != NIL {
            out.push(cur);
            cur = links[cur as usize].next;
        }
        out
    }

    #[test]
    fn push_touch_unlink_keep_order() {
        let mut links = vec![Links::default(); 4];
        let mut list = List::default();
        for i in 0..4 {
            list.push_back(&mut links, i);
        }
        list.touch(&mut links, 1);
        assert_eq!(collect(&list, &links), vec![0, 2, 3, 1]);
        list.unlink(&mut links, 0);
        list.unlink(&mut links, 1);
        assert_eq!(collect(&list, &links), vec![2, 3]);
        assert_eq!(list.front(), Some(2));
        list.unlink(&mut links, 2);
        list.unlink(&mut links, 3);
        assert_eq!(list.front(), None);
    }
}
