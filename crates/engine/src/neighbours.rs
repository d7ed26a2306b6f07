//! Statistical nearest neighbours (the CIPFA/ONS method): units described by context
//! variables for one year are standardised (z-scores over the units that have every
//! variable), and the distance between two units is the weighted Euclidean distance
//! `√Σ w_v·(z_iv − z_jv)²`. Each neighbour comes with every variable's share of the squared
//! distance, so a user can see *why* two units are alike.
//!
//! A unit missing any context variable is neither standardised nor a candidate: a distance
//! over fewer variables would not be comparable.

/// Standardised context variables: one row per unit, one column per variable.
#[derive(Debug, Clone, PartialEq)]
pub struct ContextMatrix {
    units: usize,
    vars: usize,
    z: Vec<f64>,
    complete: Vec<bool>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Neighbour {
    pub unit: usize,
    pub distance: f64,
    /// Each variable's share of the squared distance (sums to 1; all 0 for a distance of 0).
    pub contributions: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NeighbourError {
    #[error("unit {0} lacks a value of at least one context variable")]
    IncompleteTarget(usize),
    #[error("unit {0} is outside the {1} units")]
    NoSuchUnit(usize, usize),
    #[error("{0} weights for {1} variables")]
    Weights(usize, usize),
    #[error("weights must be finite and not negative, and not all zero")]
    BadWeights,
}

impl ContextMatrix {
    /// Standardises `columns` (one per variable, each with a value per unit) over the units
    /// that have all of them. A variable with no spread gets z = 0 for everyone.
    pub fn standardise(units: usize, columns: &[&[Option<f64>]]) -> ContextMatrix {
        let vars = columns.len();
        let complete: Vec<bool> = (0..units).map(|u| columns.iter().all(|c| c.get(u).copied().flatten().is_some_and(f64::is_finite))).collect();
        let n = complete.iter().filter(|c| **c).count();
        let mut z = vec![0.0; units * vars];
        for (v, col) in columns.iter().enumerate() {
            let vals = || (0..units).filter(|&u| complete[u]).filter_map(|u| col.get(u).copied().flatten());
            if n == 0 {
                continue;
            }
            let mean = vals().sum::<f64>() / n as f64;
            let sd = if n > 1 { (vals().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64).sqrt() } else { 0.0 };
            for u in (0..units).filter(|&u| complete[u]) {
                let x = col.get(u).copied().flatten().unwrap_or(mean);
                z[u * vars + v] = if sd > 0.0 { (x - mean) / sd } else { 0.0 };
            }
        }
        ContextMatrix { units, vars, z, complete }
    }

    pub fn is_complete(&self, unit: usize) -> bool {
        self.complete.get(unit).copied().unwrap_or(false)
    }

    /// The standardised values of a unit (zeros for an incomplete one).
    pub fn row(&self, u: usize) -> &[f64] {
        self.z.get(u * self.vars..(u + 1) * self.vars).unwrap_or(&[])
    }

    /// The `k` units nearest to `target` (itself excluded), nearest first; ties by unit
    /// index, so the answer is deterministic. `allowed` limits the candidates (e.g. to
    /// gminy of the same kind).
    pub fn nearest(
        &self,
        target: usize,
        weights: &[f64],
        k: usize,
        allowed: Option<&dyn Fn(usize) -> bool>,
    ) -> Result<Vec<Neighbour>, NeighbourError> {
        if target >= self.units {
            return Err(NeighbourError::NoSuchUnit(target, self.units));
        }
        if weights.len() != self.vars {
            return Err(NeighbourError::Weights(weights.len(), self.vars));
        }
        if weights.iter().any(|w| !w.is_finite() || *w < 0.0) || weights.iter().all(|w| *w == 0.0) {
            return Err(NeighbourError::BadWeights);
        }
        if !self.complete[target] {
            return Err(NeighbourError::IncompleteTarget(target));
        }
        let t = self.row(target);
        let mut scored: Vec<(f64, usize)> = (0..self.units)
            .filter(|&u| u != target && self.complete[u] && allowed.is_none_or(|f| f(u)))
            .map(|u| {
                let d2: f64 = self.row(u).iter().zip(t).zip(weights).map(|((a, b), w)| w * (a - b) * (a - b)).sum();
                (d2, u)
            })
            .collect();
        let k = k.min(scored.len());
        if k == 0 {
            return Ok(Vec::new());
        }
        let by = |a: &(f64, usize), b: &(f64, usize)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1));
        if k < scored.len() {
            scored.select_nth_unstable_by(k - 1, by);
            scored.truncate(k);
        }
        scored.sort_unstable_by(by);
        Ok(scored
            .into_iter()
            .map(|(d2, u)| {
                let contributions =
                    self.row(u).iter().zip(t).zip(weights).map(|((a, b), w)| if d2 > 0.0 { w * (a - b) * (a - b) / d2 } else { 0.0 }).collect();
                Neighbour { unit: u, distance: d2.sqrt(), contributions }
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nearest_units_and_why_they_are_near() {
        // Population and density of five units; unit 2 has no density.
        let pop = [Some(10.0), Some(12.0), Some(11.0), Some(30.0), Some(50.0)];
        let dens = [Some(100.0), Some(110.0), None, Some(100.0), Some(400.0)];
        let m = ContextMatrix::standardise(5, &[&pop, &dens]);
        assert!(!m.is_complete(2));
        let near = m.nearest(0, &[1.0, 1.0], 2, None).expect("neighbours");
        let units: Vec<usize> = near.iter().map(|n| n.unit).collect();
        assert_eq!(units, vec![1, 3], "unit 2 has no density: not a candidate");
        // Checked with Python's statistics.stdev over units 0, 1, 3, 4 (pop 10, 12, 30, 50;
        // density 100, 110, 100, 400); unit 1 differs by 2 in pop and 10 in density.
        let (sp, sd) = (18.645821694595995_f64, 148.4082207965583_f64);
        let d1 = ((2.0 / sp).powi(2) + (10.0 / sd).powi(2)).sqrt();
        assert!((near[0].distance - d1).abs() < 1e-12, "{near:?}");
        let shares: f64 = near[0].contributions.iter().sum();
        assert!((shares - 1.0).abs() < 1e-12);
        assert!(near[1].contributions[0] > 0.99, "unit 3 differs in population only");
        // Weighting density alone ignores population.
        let dens_only = m.nearest(0, &[0.0, 1.0], 1, None).expect("neighbours");
        assert_eq!(dens_only[0].unit, 3);
        assert_eq!(dens_only[0].distance, 0.0);
        assert_eq!(dens_only[0].contributions, vec![0.0, 0.0]);
    }

    #[test]
    fn bad_requests_are_errors_not_panics() {
        let a = [Some(1.0), Some(2.0), None];
        let m = ContextMatrix::standardise(3, &[&a]);
        assert_eq!(m.nearest(2, &[1.0], 1, None), Err(NeighbourError::IncompleteTarget(2)));
        assert_eq!(m.nearest(9, &[1.0], 1, None), Err(NeighbourError::NoSuchUnit(9, 3)));
        assert_eq!(m.nearest(0, &[1.0, 1.0], 1, None), Err(NeighbourError::Weights(2, 1)));
        assert_eq!(m.nearest(0, &[0.0], 1, None), Err(NeighbourError::BadWeights));
        assert_eq!(m.nearest(0, &[f64::NAN], 1, None), Err(NeighbourError::BadWeights));
        let only = m.nearest(0, &[1.0], 10, None).expect("fewer than k");
        assert_eq!(only.len(), 1);
        let none = m.nearest(0, &[1.0], 5, Some(&|u| u == 2)).expect("filtered");
        assert!(none.is_empty());
    }
}
