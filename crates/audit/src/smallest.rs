//! A set that keeps only its `cap` smallest members.
//!
//! Why "smallest" rather than "first": the smallest members of a union do not depend on the order
//! items arrive in or on how the input was split between threads, so capped example lists stay
//! deterministic while memory stays bounded.

use std::collections::BTreeSet;

#[derive(Clone, Debug)]
pub struct Smallest<T: Ord> {
    set: BTreeSet<T>,
    cap: usize,
    /// True once a member was dropped (or refused) because of the cap.
    pub truncated: bool,
}

impl<T: Ord> Smallest<T> {
    pub fn new(cap: usize) -> Self {
        Smallest {
            set: BTreeSet::new(),
            cap,
            truncated: false,
        }
    }

    /// Offers `item`; `make` builds the owned value only when it will be kept.
    pub fn offer_with<Q>(&mut self, probe: &Q, make: impl FnOnce() -> T)
    where
        T: std::borrow::Borrow<Q>,
        Q: Ord + ?Sized,
    {
        if self.set.contains(probe) {
            return;
        }
        if self.set.len() < self.cap {
            self.set.insert(make());
            return;
        }
        self.truncated = true;
        let smaller_than_last = self.set.last().is_some_and(|last| probe < last.borrow());
        if smaller_than_last {
            self.set.insert(make());
            self.set.pop_last();
        }
    }

    pub fn offer(&mut self, item: T) {
        if self.set.contains(&item) {
            return;
        }
        if self.set.len() < self.cap {
            self.set.insert(item);
            return;
        }
        self.truncated = true;
        if self.set.last().is_some_and(|last| item < *last) {
            self.set.insert(item);
            self.set.pop_last();
        }
    }

    pub fn merge(&mut self, other: Smallest<T>) {
        self.truncated |= other.truncated;
        for item in other.set {
            self.offer(item);
        }
    }

    pub fn into_vec(self) -> Vec<T> {
        self.set.into_iter().collect()
    }

    pub fn len(&self) -> usize {
        self.set.len()
    }

    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_smallest_whatever_the_order_and_split() {
        let items: Vec<u32> = (0..100).map(|i| (i * 37) % 101).collect();
        let mut whole = Smallest::new(5);
        items.iter().for_each(|i| whole.offer(*i));
        let mut left = Smallest::new(5);
        let mut right = Smallest::new(5);
        items.iter().rev().take(60).for_each(|i| left.offer(*i));
        items.iter().take(40).for_each(|i| right.offer(*i));
        right.merge(left);
        assert_eq!(whole.clone().into_vec(), right.into_vec());
        assert!(whole.truncated);
        assert_eq!(
            whole.into_vec(),
            items
                .iter()
                .copied()
                .collect::<BTreeSet<_>>()
                .into_iter()
                .take(5)
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn offer_with_builds_only_kept_values() {
        let mut names: Smallest<String> = Smallest::new(1);
        names.offer_with("b", || "b".to_owned());
        names.offer_with("c", || panic!("c is not kept, so it is not built"));
        names.offer_with("a", || "a".to_owned());
        assert_eq!(names.into_vec(), ["a"]);
    }
}
