//! The page for addresses that lead nowhere.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::meta::PageMeta;

/// Shown for any unknown address; the server answers it with status 404.
#[component]
pub fn NotFoundPage() -> impl IntoView {
    view! {
        <PageMeta title="Page not found" description="This page does not exist on MixTape." />
        <section class="narrow">
            <h1>"Page not found"</h1>
            <p>"There is no page at this address. It may have moved, or the link may be mistyped."</p>
            <p>
                <A href="/" attr:class="button">"Back to the home page"</A>
            </p>
        </section>
    }
}
