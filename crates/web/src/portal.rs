//! What the pages read, built once per snapshot version: `compose::portal` (the CLI's
//! report reads it too), re-exported here for the pages.

pub use compose::portal::*;
