//! Reusable widgets shared by the screens.

pub mod shell;
