//! BDL conventions: attribute symbols → flags, unit names with kind digit and validity.
//! (API skeleton — implementation pending.)
