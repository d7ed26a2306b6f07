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

/// Values that stand out from the rest: the modified z-score of Iglewicz and Hoaglin,
/// `0.6745·(x − median)/MAD` with MAD the median absolute deviation, is above `threshold`
/// (3.5 is their usual choice). Works for a unit's own history (values by year) and for a
/// group of peers (values by unit) alike. When more than half the values are equal (MAD = 0)
/// the mean absolute deviation scaled by 1.253314 stands in for MAD·1.4826 (the convention of
/// IBM SPSS); when that is 0 too, all values are equal and none stands out. Returns
/// (index, modified z), in index order; needs 4 values.
pub fn robust_outliers(values: &[Option<f64>], threshold: f64) -> Vec<(usize, f64)> {
    let mut present: Vec<f64> = values.iter().flatten().copied().collect();
    if present.len() < 4 {
        return Vec::new();
    }
    present.sort_unstable_by(f64::total_cmp);
    let median = crate::stats::quantile_sorted(&present, 0.5).unwrap_or(0.0);
    let mut dev: Vec<f64> = present.iter().map(|v| (v - median).abs()).collect();
    dev.sort_unstable_by(f64::total_cmp);
    let mad = crate::stats::quantile_sorted(&dev, 0.5).unwrap_or(0.0);
    let mean_ad = dev.iter().sum::<f64>() / dev.len() as f64;
    let scale = if mad > 0.0 {
        mad / 0.6745
    } else if mean_ad > 0.0 {
        1.253314 * mean_ad
    } else {
        return Vec::new();
    };
    values
        .iter()
        .enumerate()
        .filter_map(|(i, v)| {
            let z = ((*v)? - median) / scale;
            (z.abs() > threshold).then_some((i, z))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_far_from_the_rest_stands_out_and_ordinary_spread_does_not() {
        // Unemployed in a gmina 2015–2024, with 2021 typed ten times too large.
        let series = [Some(520.0), Some(498.0), Some(470.0), Some(455.0), Some(430.0), Some(510.0), Some(4_900.0), Some(420.0), None, Some(410.0)];
        let out = robust_outliers(&series, 3.5);
        assert_eq!(out.iter().map(|o| o.0).collect::<Vec<_>>(), vec![6]);
        // Hand check: median of the 9 values 470, MAD 40 → 0.6745 · 4430 / 40.
        assert!((out[0].1 - 0.6745 * 4430.0 / 40.0).abs() < 1e-9, "{out:?}");
        assert!(robust_outliers(&series[..6], 3.5).is_empty(), "ordinary spread");
        // MAD = 0: the mean absolute deviation (0.2) scaled by 1.253314 stands in.
        let flat = [Some(5.0), Some(5.0), Some(5.0), Some(5.0), Some(6.0)];
        let out = robust_outliers(&flat, 3.5);
        assert_eq!(out.len(), 1);
        assert!((out[0].1 - 1.0 / (1.253314 * 0.2)).abs() < 1e-9, "{out:?}");
        assert!(robust_outliers(&[Some(2.0); 6], 3.5).is_empty(), "all equal: nothing stands out");
        assert!(robust_outliers(&[Some(1.0), Some(100.0), None], 3.5).is_empty(), "too few values to judge");
    }

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
