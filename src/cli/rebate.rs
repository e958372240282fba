//! `ekino rebate …`: claims, estimates and the programme list, as JSON on stdout.

use std::path::PathBuf;

use anyhow::Context as _;
use rebate_engine::estimate::EstimateInput;
use rebate_engine::{builtin, Claim, Context, FxTable};
use serde::Serialize;

#[derive(Debug, clap::Subcommand)]
pub enum RebateCommand {
    /// Compute a claim (JSON, see rebate-engine/claim.schema.json) with its explanation.
    Compute {
        #[arg(long)]
        claim: PathBuf,
        /// A newer FX table (CSV date,currency,kzt, e.g. the National Bank's rates).
        #[arg(long)]
        fx: Option<PathBuf>,
    },
    /// Estimate from a budget split by category, for one programme or side by side.
    Estimate {
        #[arg(long)]
        input: PathBuf,
        /// Programmes to compare, e.g. kz,ge,uz; the results share one currency.
        #[arg(long, value_delimiter = ',')]
        compare: Vec<String>,
        #[arg(long)]
        fx: Option<PathBuf>,
    },
    /// List the programmes with their version in force and key parameters.
    Programmes {
        /// Date the versions are chosen for (default: today).
        #[arg(long)]
        on: Option<chrono::NaiveDate>,
    },
}

fn fx_table(extra: Option<&PathBuf>) -> anyhow::Result<FxTable> {
    let shipped = builtin::fx();
    Ok(match extra {
        Some(p) => {
            let text =
                std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            shipped.overlaid(&FxTable::parse_csv(&text).with_context(|| p.display().to_string())?)
        }
        None => shipped,
    })
}

fn print<T: Serialize>(v: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

#[derive(Serialize)]
struct ProgrammeSummary {
    id: String,
    name: String,
    country: String,
    currency: String,
    version: Option<String>,
    effective_from: Option<String>,
    source: Option<String>,
    parameters: serde_json::Value,
}

pub fn run(cmd: RebateCommand) -> anyhow::Result<()> {
    let index = builtin::index();
    match cmd {
        RebateCommand::Compute { claim, fx } => {
            let fx = fx_table(fx.as_ref())?;
            let text = std::fs::read_to_string(&claim)
                .with_context(|| format!("reading {}", claim.display()))?;
            let c = Claim::parse_json(&text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", claim.display()))?;
            let p = builtin::programme(&c.programme)?;
            print(&rebate_engine::compute(
                &p,
                &c,
                &Context {
                    fx: &fx,
                    index: &index,
                },
            )?)
        }
        RebateCommand::Estimate { input, compare, fx } => {
            let fx = fx_table(fx.as_ref())?;
            let text = std::fs::read_to_string(&input)
                .with_context(|| format!("reading {}", input.display()))?;
            let est: EstimateInput = rebate_engine::claim::from_json(&text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", input.display()))?;
            let ctx = Context {
                fx: &fx,
                index: &index,
            };
            if compare.is_empty() {
                let id = est.programme.clone().ok_or_else(|| {
                    anyhow::anyhow!("programme: give it in the input or use --compare")
                })?;
                print(&rebate_engine::estimate(
                    &builtin::programme(&id)?,
                    &est,
                    &ctx,
                )?)
            } else {
                let programmes = compare
                    .iter()
                    .map(|id| builtin::programme(id))
                    .collect::<Result<Vec<_>, _>>()?;
                print(&rebate_engine::compare(&programmes, &est, &ctx)?)
            }
        }
        RebateCommand::Programmes { on } => {
            let on = on.unwrap_or_else(|| {
                chrono::Utc::now()
                    .with_timezone(&schemas::time::kz_offset())
                    .date_naive()
            });
            let list: Vec<ProgrammeSummary> = builtin::programmes()?
                .into_iter()
                .map(|p| {
                    let v = p.version_on(on).ok();
                    ProgrammeSummary {
                        id: p.id.clone(),
                        name: p.name.clone(),
                        country: p.country.clone(),
                        currency: p.currency.to_string(),
                        version: v.map(|v| v.version.clone()),
                        effective_from: v.map(|v| v.effective_from.to_string()),
                        source: v.map(|v| v.source.clone()),
                        parameters: v
                            .map(|v| serde_json::json!({"rate": v.rate, "uplifts": v.uplifts, "max_rate": v.max_rate, "minimum": v.minimum, "spend_caps": v.base_caps, "rebate_caps": v.rebate_caps, "credit_tax_rate": v.credit_tax_rate}))
                            .unwrap_or(serde_json::Value::Null),
                    }
                })
                .collect();
            print(&list)
        }
    }
}
