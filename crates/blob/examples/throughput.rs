//! Rough put/get throughput of one 16 MiB blob on each backend: the filesystem, the in-store
//! backend on SQLite, and (given a URL) the in-store backend on PostgreSQL, in a schema of its own
//! that is dropped afterwards.
//!
//! `cargo run --release -p tessera-blob --example throughput -- [postgres://…]`

use futures_util::StreamExt;
use std::time::Instant;
use tessera_blob::BlobStore;
use tessera_store::Store;

const SIZE: usize = 16 << 20;
/// The size of one write, as a request body arrives in frames.
const WRITE: usize = 64 << 10;
const ROUNDS: usize = 5;
const SCHEMA: &str = "tessera_blob_bench";

type Error = Box<dyn std::error::Error + Send + Sync>;

async fn measure(name: &str, store: &BlobStore) -> Result<(), Error> {
    let data: Vec<u8> = (0..SIZE).map(|i| (i % 251) as u8).collect();
    let (mut puts, mut gets) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let t = Instant::now();
        let mut w = store.create().await?;
        for part in data.chunks(WRITE) {
            w.write(part).await?;
        }
        let id = w.finish().await?;
        puts.push(t.elapsed().as_secs_f64());

        let t = Instant::now();
        let mut s = store.open(&id).await?.into_stream(0, SIZE as u64)?;
        let mut n = 0;
        while let Some(chunk) = s.next().await {
            n += chunk?.len();
        }
        gets.push(t.elapsed().as_secs_f64());
        if n != SIZE {
            return Err(format!("read {n} bytes of {SIZE}").into());
        }
        store.delete(&id).await?;
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let mib = (SIZE >> 20) as f64;
    let (put, get) = (median(&mut puts), median(&mut gets));
    println!(
        "{name:<10} put {:7.1} MiB/s ({:6.1} ms)   get {:7.1} MiB/s ({:6.1} ms)   median of {ROUNDS}",
        mib / put,
        put * 1e3,
        mib / get,
        get * 1e3
    );
    Ok(())
}

fn pg_admin(url: &str, sql: &str) -> Result<(), Error> {
    let (url, sql) = (url.to_owned(), sql.to_owned());
    std::thread::spawn(move || -> Result<(), Error> {
        let mut client = postgres::Client::connect(&url, postgres::NoTls)?;
        client.batch_execute(&sql)?;
        Ok(())
    })
    .join()
    .map_err(|_| "admin thread panicked")?
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let tmp = tempfile::tempdir()?;
    measure("dir", &BlobStore::open_dir(&tmp.path().join("blobs"))?).await?;
    let sqlite = Store::open_sqlite(&tmp.path().join("db"))?;
    measure("sqlite", &BlobStore::open_in_store(sqlite)).await?;
    if let Some(url) = std::env::args().nth(1) {
        pg_admin(
            &url,
            &format!("DROP SCHEMA IF EXISTS {SCHEMA} CASCADE; CREATE SCHEMA {SCHEMA}"),
        )?;
        let sep = if url.contains('?') { '&' } else { '?' };
        let pg = Store::open_postgres(&format!("{url}{sep}options=-csearch_path%3D{SCHEMA}"))?;
        let outcome = measure("postgres", &BlobStore::open_in_store(pg)).await;
        pg_admin(&url, &format!("DROP SCHEMA {SCHEMA} CASCADE"))?;
        outcome?;
    }
    Ok(())
}
