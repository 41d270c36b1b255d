//! Writes the seed corpora to `fuzz/seeds/<target>/`, built from
//! `testdata/captures` by `ami_proto_fuzz::seeds::build`:
//!
//! ```sh
//! cargo run --manifest-path fuzz/Cargo.toml --example make_seeds
//! ```

fn main() -> std::io::Result<()> {
    for (name, _) in ami_proto_fuzz::TARGETS {
        let dir = ami_proto_fuzz::seeds::seeds_dir(name);
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::create_dir_all(&dir)?;
        let seeds = ami_proto_fuzz::seeds::build(name);
        let bytes: usize = seeds.iter().map(|(_, s)| s.len()).sum();
        for (file, data) in &seeds {
            std::fs::write(dir.join(file), data)?;
        }
        println!("{name}: {} seeds, {bytes} bytes", seeds.len());
    }
    Ok(())
}
