//! Rebuild when the embedded web assets change: the tracker bundle and `www/` are
//! compiled into release binaries (see `src/assets.rs`), and a file added to those
//! folders would otherwise go unnoticed by cargo.

fn main() {
    println!("cargo::rerun-if-changed=../www");
    println!("cargo::rerun-if-changed=../tracker-wasm/pkg");
}
