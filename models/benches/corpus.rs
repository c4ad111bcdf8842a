//! Reading, merging, quantising and encoding the whole shared MIDI corpus.
//!
//! `cargo bench -p models --bench corpus`; the files are loaded into memory
//! first, so the figure is parsing and encoding, not disk.

use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use models::{music::events, music::midi, training::corpus};

fn corpus_files() -> Vec<Vec<u8>> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/datasets");
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&root).expect("the shared datasets are beside the repository") {
        let dir = entry.unwrap().path();
        // tiny/ repeats files of the other sets.
        if dir.is_dir() && dir.file_name().is_some_and(|n| n != "tiny") {
            for path in corpus::midi_files(&dir).unwrap() {
                files.push(std::fs::read(path).unwrap());
            }
        }
    }
    files
}

fn read_and_encode(files: &[Vec<u8>]) -> (usize, usize) {
    let (mut notes, mut events) = (0, 0);
    for bytes in files {
        if let Ok(piece) = midi::read(bytes) {
            let (grid, _) = events::quantise(&piece);
            notes += piece.notes.len();
            events += events::encode(&grid).len();
        }
    }
    (notes, events)
}

fn bench(c: &mut Criterion) {
    let files = corpus_files();
    let (notes, events) = read_and_encode(&files);
    println!(
        "corpus: {} files, {} MiB, {notes} notes, {events} events",
        files.len(),
        files.iter().map(Vec::len).sum::<usize>() / (1024 * 1024)
    );
    let mut group = c.benchmark_group("corpus");
    group.sample_size(10);
    group.throughput(Throughput::Elements(notes as u64));
    group.bench_function("read+merge+quantise+encode", |b| {
        b.iter(|| read_and_encode(&files))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
