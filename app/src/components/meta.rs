//! The title and description of each page, which search engines show.

use leptos::prelude::*;
use leptos_meta::{Meta, Title};

/// Sets the page's title and meta description, which search engines show.
#[component]
pub fn PageMeta(title: &'static str, description: &'static str) -> impl IntoView {
    view! {
        <Title text=format!("{title} · MixTape") />
        <Meta name="description" content=description />
    }
}
