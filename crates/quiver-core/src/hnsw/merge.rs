//! Applying a planned neighbour-list change to a list that may have changed since.
//!
//! Concurrent inserts plan their reverse links against the graph as they saw it, without
//! excluding each other, and write them later under the page lock. By then another insert
//! may have rewritten the same list. Writing the planned list as is would silently drop the
//! other insert's link, so the plan is applied as a change instead: the members it dropped
//! come out, the new node goes in if there is room.

use super::NodeId;

/// The list to store for a node whose list was `seen` when the change was planned, is
/// `planned` after the change, and is `current` on the page now; `new_id` is the node being
/// inserted and `cap` the list's capacity. `None` means leave the page as it is.
pub fn merge_list(seen: &[NodeId], planned: &[NodeId], current: &[NodeId], new_id: NodeId, cap: usize) -> Option<Vec<NodeId>> {
    if current == seen {
        return (planned != current).then(|| planned.to_vec());
    }
    if current.contains(&new_id) || !planned.contains(&new_id) {
        return None;
    }
    let dropped: Vec<NodeId> = seen.iter().copied().filter(|x| !planned.contains(x)).collect();
    let mut out: Vec<NodeId> = current.iter().copied().filter(|x| !dropped.contains(x)).collect();
    if out.len() >= cap {
        // The list filled up with other inserts' links since: keep them, lose this one.
        return None;
    }
    out.push(new_id);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::merge_list;

    const NEW: u64 = 99;

    #[test]
    fn unchanged_list_takes_the_plan() {
        assert_eq!(merge_list(&[1, 2], &[1, 2, NEW], &[1, 2], NEW, 3), Some(vec![1, 2, NEW]));
        // a pruning plan (dropped 2 for the new node)
        assert_eq!(merge_list(&[1, 2, 3], &[1, NEW, 3], &[1, 2, 3], NEW, 3), Some(vec![1, NEW, 3]));
        assert_eq!(merge_list(&[1, 2], &[1, 2], &[1, 2], NEW, 3), None);
    }

    #[test]
    fn concurrent_append_is_kept() {
        // another insert appended 7 after we looked
        assert_eq!(merge_list(&[1, 2], &[1, 2, NEW], &[1, 2, 7], NEW, 4), Some(vec![1, 2, 7, NEW]));
        // ... and filled the list: its link stays, ours is lost
        assert_eq!(merge_list(&[1, 2], &[1, 2, NEW], &[1, 2, 7], NEW, 3), None);
    }

    #[test]
    fn concurrent_change_with_pruning() {
        // we planned to replace 2 by NEW; meanwhile 3 was replaced by 7
        assert_eq!(merge_list(&[1, 2, 3], &[1, NEW, 3], &[1, 2, 7], NEW, 3), Some(vec![1, 7, NEW]));
        // we planned to replace 2, which the other insert already dropped for 7 (list full)
        assert_eq!(merge_list(&[1, 2, 3], &[1, NEW, 3], &[1, 3, 7], NEW, 3), None);
    }

    #[test]
    fn never_duplicates_the_new_node() {
        assert_eq!(merge_list(&[1], &[1, NEW], &[1, NEW], NEW, 3), None);
        assert_eq!(merge_list(&[1], &[1, NEW], &[NEW, 5], NEW, 3), None);
    }

    #[test]
    fn output_respects_capacity() {
        for cap in 1..6 {
            for cur_len in 0..=cap {
                let current: Vec<u64> = (10..10 + cur_len as u64).collect();
                if let Some(out) = merge_list(&[1, 2], &[1, NEW], &current, NEW, cap) {
                    assert!(out.len() <= cap, "cap {cap}: {out:?}");
                    assert_eq!(out.iter().filter(|&&x| x == NEW).count(), 1);
                }
            }
        }
    }
}
