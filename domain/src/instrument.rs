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
    /// The meters its model composes in, 4/4 first.
    #[cfg_attr(feature = "ssr", schema(value_type = Vec<String>, example = json!(["4/4", "6/8"])))]
    pub meters: Vec<crate::compose::Meter>,
}

impl InstrumentInfo {
    /// The address of its short example at `energy` (served by the server's
    /// `examples` module).
    pub fn example_url(&self, energy: crate::compose::Energy) -> String {
        format!("/examples/{}/{energy}.ogg", self.id)
    }
}
