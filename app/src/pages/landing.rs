//! The landing page: what MixTape does for a business.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::meta::PageMeta;

/// The home page.
#[component]
pub fn LandingPage() -> impl IntoView {
    view! {
        <PageMeta
            title="Original music for your ads"
            description="MixTape composes original music for your ads and social media with a neural network. Pick an instrument, listen, and buy exclusive rights to a piece no one else can use."
        />
        <section class="hero">
            <h1>"Original music for your ads, composed in seconds"</h1>
            <p class="lead">
                "Stock music is everywhere: your competitor's reel may use the same track as yours. "
                "MixTape's neural network, trained on real music written by people, composes a new piece for you. "
                "Buy it and it is yours alone: each piece is sold once, with a copyright ID anyone can check."
            </p>
            <A href="/instruments" attr:class="button button-primary">"Choose an instrument"</A>
        </section>
        <section class="steps" aria-labelledby="how-it-works">
            <h2 id="how-it-works">"How it works"</h2>
            <ol>
                <li>
                    <h3>"Pick an instrument and a mood"</h3>
                    <p>"Piano, guitar, strings and more. Set the length, tempo, key and how adventurous the music may be."</p>
                </li>
                <li>
                    <h3>"Listen to what the model composes"</h3>
                    <p>"A new piece in seconds, played right in your browser with its notes on screen. Not quite right? Compose another."</p>
                </li>
                <li>
                    <h3>"Own it"</h3>
                    <p>"Buy exclusive rights and download studio-quality audio, the MIDI file and a licence certificate."</p>
                </li>
            </ol>
        </section>
    }
}
