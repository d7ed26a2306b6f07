//! Data checks. Additivity: for an additive variable (population, the unemployed,
//! expenditure) every unit's value must equal the sum of its sub-units' values — gminy to
//! their powiat, powiaty to their województwo, województwa to Poland, the town and rural
//! area of an urban-rural gmina to the gmina. A parent whose sub-units have no values at all
//! is not checkable and is skipped; one with only some is reported as incomplete.

use std::collections::HashMap;

/// A unit in the hierarchy valid for the year checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Node {
    pub id: i64,
    pub parent: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    pub parent: i64,
    pub value: f64,
    pub children_sum: f64,
    pub children: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Incomplete {
    pub parent: i64,
    pub with_value: usize,
    pub children: usize,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct AdditivityReport {
    /// Parents whose value was compared with the sum of all their sub-units.
    pub checked: usize,
    pub mismatches: Vec<Mismatch>,
    pub incomplete: Vec<Incomplete>,
}

/// Compares each unit's value with the sum of its sub-units'; a difference larger than
/// `tolerance` (absolute, for sources that round their parts) is a mismatch. Results are
/// ordered by parent id.
pub fn additivity(nodes: &[Node], value: &dyn Fn(i64) -> Option<f64>, tolerance: f64) -> AdditivityReport {
    let mut children: HashMap<i64, Vec<i64>> = HashMap::new();
    for n in nodes {
        if let Some(p) = n.parent {
            children.entry(p).or_default().push(n.id);
        }
    }
    let mut parents: Vec<i64> = children.keys().copied().collect();
    parents.sort_unstable();
    let mut report = AdditivityReport::default();
    for p in parents {
        let Some(v) = value(p) else { continue };
        let kids = &children[&p];
        let vals: Vec<f64> = kids.iter().filter_map(|k| value(*k)).collect();
        if vals.is_empty() {
            continue;
        }
        if vals.len() < kids.len() {
            report.incomplete.push(Incomplete { parent: p, with_value: vals.len(), children: kids.len() });
            continue;
        }
        report.checked += 1;
        let sum: f64 = vals.iter().sum();
        if (sum - v).abs() > tolerance {
            report.mismatches.push(Mismatch { parent: p, value: v, children_sum: sum, children: kids.len() });
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parents_are_compared_with_the_sum_of_their_children() {
        // 1 ← {2, 3}; 2 ← {4, 5}; 3 ← {6}; 7 has children without values.
        let nodes = [
            Node { id: 1, parent: None },
            Node { id: 2, parent: Some(1) },
            Node { id: 3, parent: Some(1) },
            Node { id: 4, parent: Some(2) },
            Node { id: 5, parent: Some(2) },
            Node { id: 6, parent: Some(3) },
            Node { id: 7, parent: None },
            Node { id: 8, parent: Some(7) },
            Node { id: 9, parent: Some(7) },
        ];
        let values: HashMap<i64, f64> = [(1, 10.0), (2, 7.0), (3, 3.0), (4, 4.0), (5, 2.0), (6, 3.0), (7, 5.0), (8, 5.0)].into();
        let r = additivity(&nodes, &|id| values.get(&id).copied(), 0.0);
        assert_eq!(r.checked, 3, "1, 2 and 3 are checkable");
        assert_eq!(r.mismatches, vec![Mismatch { parent: 2, value: 7.0, children_sum: 6.0, children: 2 }]);
        assert_eq!(r.incomplete, vec![Incomplete { parent: 7, with_value: 1, children: 2 }]);
        let lenient = additivity(&nodes, &|id| values.get(&id).copied(), 1.0);
        assert!(lenient.mismatches.is_empty(), "a difference within the tolerance passes");
    }
}
