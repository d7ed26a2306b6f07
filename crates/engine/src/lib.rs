//! The indicator engine: synchronous, deterministic, no I/O. So far its kernels: group
//! statistics and each unit's position in its group, defined exactly as DESIGN.md says so
//! that any peer can reproduce them (quantiles R type 7, competition ranks, percentile
//! 100·(n−rank)/(n−1), z-score with the sample standard deviation); and statistical nearest
//! neighbours with each variable's contribution to the distance; additivity checks; and the
//! diagnosis of a unit's strengths and weaknesses with their trends.

pub mod checks;
pub mod diagnosis;
pub mod evaluate;
pub mod keysort;
pub mod neighbours;
pub mod proportion;
pub mod snapshot;
pub mod stats;
mod table;
pub mod targets;
