//! The instruments that can compose, as pages list them.

use serde::{Deserialize, Serialize};

/// An instrument with a trained model, as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct InstrumentInfo {
    /// Stable id, also the model's folder name.
    pub id: String,
    /// Name shown to people.
    pub name: String,
    /// Where its music fits an advertisement.
    pub use_case: String,
}
