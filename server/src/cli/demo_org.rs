//! `muster demo`: fills an empty database with the demo organisation.

use crate::db::Db;
use crate::demo;

use super::{DemoArgs, demo_anchor};

/// `muster demo`: generates the organisation of the chosen scale and seed, printing each table.
pub(super) async fn demo(args: DemoArgs) -> anyhow::Result<()> {
    let db = Db::open(&args.database.database).await?;
    let fingerprinter = args.key.fingerprinter()?;
    let scale = args.scale.scale();
    println!(
        "Generating the {:?} demo organisation (seed {}) into {}",
        args.scale,
        args.seed,
        args.database.database.redacted()
    );
    let summary = demo::generate(
        &db,
        scale,
        args.seed,
        demo_anchor(),
        &fingerprinter,
        |table, rows, elapsed| {
            println!("  {table:<16} {rows:>9} rows   {:>6.1} s", elapsed.as_secs_f64());
        },
    )
    .await?;
    let total: usize = summary.rows.iter().map(|(_, rows)| rows).sum();
    println!("Done: {total} rows.");
    db.close().await;
    Ok(())
}
