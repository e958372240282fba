//! The JSON face's route table: each `/v1` route's path, method, caller (public, or a key of
//! a role) and handler, around the core's plain handlers. Its replies go through
//! [`crate::reply`] (status, metrics, audit, CSV/Arrow); its errors through
//! `api_edge::problem` only.

use api_core::error::ApiError;
use api_core::handlers;
use api_core::params;
use api_edge::State;
use warp::filters::BoxedFilter;
use warp::reply::Response;
use warp::{Filter, Reply};

use crate::mount::{route, Call, Mounted};
use crate::reply::{split_format, Export};

/// Every JSON route, unrecovered: the composition root adds the pages, `recover` and the
/// audit step around them.
///
/// Every route is mounted from its entry in the table (`openapi::ROUTES`) by name, in the order
/// written here (a path written out in full before a template it also matches); the table and
/// the mounted routes are checked against each other before the filter is returned.
pub fn routes(s: State) -> BoxedFilter<(Response,)> {
    let mounted = Mounted::default();
    let public = {
        let health = route(&s, &mounted, "healthz").then(|c: Call| async move {
            let ok = c.s.ch.query("SELECT 1").execute().await.is_ok();
            let body =
                serde_json::json!({"status": if ok { "ok" } else { "degraded" }, "clickhouse": ok});
            let status = if ok {
                warp::http::StatusCode::OK
            } else {
                warp::http::StatusCode::SERVICE_UNAVAILABLE
            };
            warp::reply::with_status(warp::reply::json(&body), status).into_response()
        });
        let openapi = route(&s, &mounted, "openapi")
            .map(|_: Call| warp::reply::json(crate::openapi::cached()).into_response());
        let metrics =
            route(&s, &mounted, "metrics").map(|c: Call| c.s.metrics.render().into_response());
        let daily = route(&s, &mounted, "daily_chart").then(|c: Call| async move {
            let Call { s, q, .. } = &c;
            let r = async { handlers::box_office::daily_chart(s, params::parse(q)?).await }.await;
            c.finish(r)
        });
        let chart = route(&s, &mounted, "chart").then(|c: Call| async move {
            let Call { s, q, .. } = &c;
            let r = async {
                handlers::box_office::chart(
                    s,
                    handlers::box_office::chart_query(&params::parse(q)?)?,
                )
                .await
            }
            .await;
            c.finish(r)
        });
        let run = route(&s, &mounted, "film_run").then(|c: Call| async move {
            let film = c.params[0].clone();
            let Call { s, q, .. } = &c;
            let r = async {
                params::parse::<params::NoQuery>(q)?;
                handlers::box_office::film_run(s, &film).await
            }
            .await;
            c.finish(r)
        });
        let cinema_index = route(&s, &mounted, "cinema_index").then(|c: Call| async move {
            let Call { s, q, .. } = &c;
            let r = async { handlers::box_office::cinema_index(s, params::parse(q)?).await }.await;
            c.finish(r)
        });
        let film_index = route(&s, &mounted, "film_index").then(|c: Call| async move {
            let Call { s, q, .. } = &c;
            let r = async { handlers::box_office::film_index(s, params::parse(q)?).await }.await;
            c.finish(r)
        });
        let programmes = route(&s, &mounted, "programmes").then(|c: Call| async move {
            let Call { s, q, .. } = &c;
            let r = params::parse::<params::NoQuery>(q).map(|_| handlers::rebates::programmes(s));
            c.finish(r)
        });
        let programme = route(&s, &mounted, "programme").then(|c: Call| async move {
            let id = c.params[0].clone();
            let Call { s, q, .. } = &c;
            let r = params::parse::<params::NoQuery>(q)
                .and_then(|_| handlers::rebates::programme(s, &id));
            c.finish(r)
        });
        let estimate = route(&s, &mounted, "post_estimate").then(|c: Call| async move {
            let Call { s, q, .. } = &c;
            // The engine's work runs on the bounded CPU pool, never on a runtime worker.
            let r = match params::parse(q) {
                Ok(cq) => match s.estimate_fx.get(&s.app, &s.fx).await {
                    Ok((fx, source)) => {
                        let (shared, body) = (s.clone(), c.b.clone());
                        s.guards
                            .cpu
                            .run(move || {
                                crate::decode::json(&body).and_then(|input| {
                                    handlers::rebates::estimate(&shared, cq, input, &fx, source)
                                })
                            })
                            .await
                            .and_then(|r| r)
                    }
                    Err(e) => Err(e),
                },
                Err(e) => Err(e),
            };
            c.finish(r)
        });
        health
            .boxed()
            .or(openapi.boxed())
            .unify()
            .or(metrics.boxed())
            .unify()
            .or(daily.boxed())
            .unify()
            .or(chart.boxed())
            .unify()
            .or(run.boxed())
            .unify()
            .or(film_index.boxed())
            .unify()
            .or(cinema_index.boxed())
            .unify()
            .or(programmes.boxed())
            .unify()
            .or(programme.boxed())
            .unify()
            .or(estimate.boxed())
            .unify()
            .boxed()
    };

    let box_office = {
        let films = route(&s, &mounted, "films").then(|c: Call| async move {
            let p = c.caller().clone();
            let Call { s, q, .. } = &c;
            let (rest, format) = match split_format(q) {
                Ok(x) => x,
                Err(e) => return c.finish::<()>(Err(e)),
            };
            let r = async { handlers::box_office::films(s, &p, params::parse(&rest)?).await }.await;
            let export = Export {
                columns: schemas::export::BOX_OFFICE_FILMS,
                rows_field: "rows",
            };
            c.finish_list(format, export, r).await
        });
        let film_daily = route(&s, &mounted, "film_daily").then(|c: Call| async move {
            let p = c.caller().clone();
            let film = c.params[0].clone();
            let Call { s, q, .. } = &c;
            let (rest, format) = match split_format(q) {
                Ok(x) => x,
                Err(e) => return c.finish::<()>(Err(e)),
            };
            let r = async {
                handlers::box_office::film_daily(s, &p, film, params::parse(&rest)?).await
            }
            .await;
            let export = Export {
                columns: schemas::export::FILM_DAILY,
                rows_field: "rows",
            };
            c.finish_list(format, export, r).await
        });
        let regions = route(&s, &mounted, "regions").then(|c: Call| async move {
            let p = c.caller().clone();
            let Call { s, q, .. } = &c;
            let r = async { handlers::box_office::regions(s, &p, params::parse(q)?).await }.await;
            c.finish(r)
        });
        films.or(film_daily).unify().or(regions).unify().boxed()
    };

    let roi = {
        let film = route(&s, &mounted, "film_roi").then(|c: Call| async move {
            let p = c.caller().clone();
            let film = c.params[0].clone();
            let Call { s, q, .. } = &c;
            let r = async {
                params::parse::<params::NoQuery>(q)?;
                handlers::roi::film(s, &p, film).await
            }
            .await;
            c.finish(r)
        });
        let history = route(&s, &mounted, "film_history").then(|c: Call| async move {
            let p = c.caller().clone();
            let film = c.params[0].clone();
            let Call { s, q, .. } = &c;
            let r = async {
                params::parse::<params::NoQuery>(q)?;
                handlers::registry::film_history(s, &p, film).await
            }
            .await;
            c.finish(r)
        });
        let summary = route(&s, &mounted, "roi_summary").then(|c: Call| async move {
            let p = c.caller().clone();
            let Call { s, q, .. } = &c;
            let r = async { handlers::roi::summary(s, &p, params::parse(q)?).await }.await;
            c.finish(r)
        });
        let kpi_trend = route(&s, &mounted, "roi_kpi_trend").then(|c: Call| async move {
            let p = c.caller().clone();
            let Call { s, q, .. } = &c;
            let r = async { handlers::roi::kpi_trend(s, &p, params::parse(q)?).await }.await;
            c.finish(r)
        });
        let films = route(&s, &mounted, "roi_films").then(|c: Call| async move {
            let p = c.caller().clone();
            let Call { s, q, .. } = &c;
            let (rest, format) = match split_format(q) {
                Ok(x) => x,
                Err(e) => return c.finish::<()>(Err(e)),
            };
            let r = async { handlers::roi::films(s, &p, params::parse(&rest)?).await }.await;
            let export = Export {
                columns: schemas::export::ROI_FILMS,
                rows_field: "films",
            };
            c.finish_list(format, export, r).await
        });
        film.or(history)
            .unify()
            .or(summary)
            .unify()
            .or(kpi_trend)
            .unify()
            .or(films)
            .unify()
            .boxed()
    };

    let cinemas = {
        let silent = route(&s, &mounted, "silent_cinemas").then(|c: Call| async move {
            let p = c.caller().clone();
            let Call { s, q, .. } = &c;
            let r = async { handlers::cinemas::silent(s, &p, params::parse(q)?).await }.await;
            c.finish(r)
        });
        let reporting = route(&s, &mounted, "cinema_reporting").then(|c: Call| async move {
            let p = c.caller().clone();
            let bin = c.params[0].clone();
            let Call { s, q, .. } = &c;
            let r =
                async { handlers::cinemas::reporting(s, &p, bin, params::parse(q)?).await }.await;
            c.finish(r)
        });
        let rejected = route(&s, &mounted, "cinema_rejected").then(|c: Call| async move {
            let p = c.caller().clone();
            let bin = c.params[0].clone();
            let Call { s, q, .. } = &c;
            let (rest, format) = match split_format(q) {
                Ok(x) => x,
                Err(e) => return c.finish::<()>(Err(e)),
            };
            let r = async { handlers::cinemas::rejected(s, &p, bin, params::parse(&rest)?).await }
                .await;
            let export = Export {
                columns: schemas::export::REJECTED,
                rows_field: "rows",
            };
            c.finish_list(format, export, r).await
        });
        let scorecards = route(&s, &mounted, "cinema_scorecards").then(|c: Call| async move {
            let p = c.caller().clone();
            let Call { s, q, .. } = &c;
            let (rest, format) = match split_format(q) {
                Ok(x) => x,
                Err(e) => return c.finish::<()>(Err(e)),
            };
            let r =
                async { handlers::cinemas::scorecards(s, &p, params::parse(&rest)?).await }.await;
            let export = Export {
                columns: schemas::export::SCORECARDS,
                rows_field: "rows",
            };
            c.finish_list(format, export, r).await
        });
        let sales = route(&s, &mounted, "cinema_sales").then(|c: Call| async move {
            let p = c.caller().clone();
            let bin = c.params[0].clone();
            let Call { s, q, .. } = &c;
            let (rest, format) = match split_format(q) {
                Ok(x) => x,
                Err(e) => return c.finish::<()>(Err(e)),
            };
            let r =
                async { handlers::cinemas::sales(s, &p, bin, params::parse(&rest)?).await }.await;
            let export = Export {
                columns: schemas::export::CINEMA_SALES,
                rows_field: "rows",
            };
            c.finish_list(format, export, r).await
        });
        let screenings = route(&s, &mounted, "cinema_screenings").then(|c: Call| async move {
            let p = c.caller().clone();
            let bin = c.params[0].clone();
            let Call { s, q, .. } = &c;
            let r =
                async { handlers::cinemas::screenings(s, &p, bin, params::parse(q)?).await }.await;
            c.finish(r)
        });
        let tickets = route(&s, &mounted, "post_tickets").then(|c: Call| async move {
            let p = c.caller().clone();
            let ct = c.content_type.clone();
            let Call { s, q, .. } = &c;
            let r = async {
                params::parse::<params::NoQuery>(q)?;
                handlers::tickets::upload_as(s, &p, ct.as_deref(), &c.b).await
            }
            .await;
            c.finish_as(r, handlers::tickets::status_of)
        });
        let sessions = route(&s, &mounted, "post_sessions").then(|c: Call| async move {
            let p = c.caller().clone();
            let ct = c.content_type.clone();
            let Call { s, q, .. } = &c;
            let r = async {
                params::parse::<params::NoQuery>(q)?;
                handlers::sessions::upload_as(s, &p, ct.as_deref(), &c.b).await
            }
            .await;
            c.finish_as(r, handlers::tickets::status_of)
        });
        let partner_sales = route(&s, &mounted, "post_partner_sales").then(|c: Call| async move {
            let p = c.caller().clone();
            let Call { s, q, .. } = &c;
            let r = async {
                params::parse::<params::NoQuery>(q)?;
                handlers::partner_sales::upload(s, &p, &c.b).await
            }
            .await;
            c.finish_as(r, handlers::tickets::status_of)
        });
        let head_count = route(&s, &mounted, "post_head_count").then(|c: Call| async move {
            let p = c.caller().clone();
            let Call { s, q, .. } = &c;
            let r = async {
                params::parse::<params::NoQuery>(q)?;
                handlers::head_counts::record(s, &p, c.body()?).await
            }
            .await;
            c.finish(r)
        });
        let corrections = route(&s, &mounted, "cinema_corrections").then(|c: Call| async move {
            let p = c.caller().clone();
            let bin = c.params[0].clone();
            let Call { s, q, .. } = &c;
            let (rest, format) = match split_format(q) {
                Ok(x) => x,
                Err(e) => return c.finish::<()>(Err(e)),
            };
            let r =
                async { handlers::cinemas::corrections(s, &p, bin, params::parse(&rest)?).await }
                    .await
                    .and_then(|c| {
                        if format.is_some() {
                            handlers::cinemas::whole_corrections(c)
                        } else {
                            Ok(c)
                        }
                    });
            let export = Export {
                columns: schemas::export::CORRECTIONS,
                rows_field: "rows",
            };
            c.finish_list(format, export, r).await
        });
        let flags = route(&s, &mounted, "cinema_flags").then(|c: Call| async move {
            let p = c.caller().clone();
            let bin = c.params[0].clone();
            let Call { s, q, .. } = &c;
            let r = async { handlers::cinemas::flags(s, &p, bin, params::parse(q)?).await }.await;
            c.finish(r)
        });
        let all_corrections = route(&s, &mounted, "corrections").then(|c: Call| async move {
            let p = c.caller().clone();
            let Call { s, q, .. } = &c;
            let (rest, format) = match split_format(q) {
                Ok(x) => x,
                Err(e) => return c.finish::<()>(Err(e)),
            };
            let r =
                async { handlers::cinemas::corrections_all(s, &p, params::parse(&rest)?).await }
                    .await
                    .and_then(|c| {
                        if format.is_some() {
                            handlers::cinemas::whole_corrections(c)
                        } else {
                            Ok(c)
                        }
                    });
            let export = Export {
                columns: schemas::export::CORRECTIONS,
                rows_field: "rows",
            };
            c.finish_list(format, export, r).await
        });
        let signals = route(&s, &mounted, "signals").then(|c: Call| async move {
            let p = c.caller().clone();
            let Call { s, q, .. } = &c;
            let r = async { handlers::signals::all(s, &p, params::parse(q)?).await }.await;
            c.finish(r)
        });
        let vendors = route(&s, &mounted, "vendors").then(|c: Call| async move {
            let p = c.caller().clone();
            let Call { s, q, .. } = &c;
            let r = async { handlers::vendors::report(s, &p, params::parse(q)?).await }.await;
            c.finish(r)
        });
        let cinema_signals = route(&s, &mounted, "cinema_signals").then(|c: Call| async move {
            let p = c.caller().clone();
            let bin = c.params[0].clone();
            let Call { s, q, .. } = &c;
            let r =
                async { handlers::signals::of_cinema(s, &p, bin, params::parse(q)?).await }.await;
            c.finish(r)
        });
        let explain = route(&s, &mounted, "post_signal_explanation").then(|c: Call| async move {
            let p = c.caller().clone();
            let bin = c.params[0].clone();
            let Call { s, q, .. } = &c;
            let r = async {
                params::parse::<params::NoQuery>(q)?;
                handlers::signals::explain(s, &p, bin, c.body()?).await
            }
            .await;
            c.finish(r)
        });
        silent
            .boxed()
            .or(explain.boxed())
            .unify()
            .or(signals.boxed())
            .unify()
            .or(vendors.boxed())
            .unify()
            .or(cinema_signals.boxed())
            .unify()
            .or(reporting.boxed())
            .unify()
            .or(rejected.boxed())
            .unify()
            .or(corrections.boxed())
            .unify()
            .or(all_corrections.boxed())
            .unify()
            .or(tickets.boxed())
            .unify()
            .or(sessions.boxed())
            .unify()
            .or(partner_sales.boxed())
            .unify()
            .or(head_count.boxed())
            .unify()
            .or(sales.boxed())
            .unify()
            .or(screenings.boxed())
            .unify()
            .or(scorecards.boxed())
            .unify()
            .or(flags.boxed())
            .unify()
            .boxed()
    };

    // The registry as registered now, for the ministry's registry screens (see `handlers::records`).
    let records = {
        let films = route(&s, &mounted, "film_records").then(|c: Call| async move {
            let p = c.caller().clone();
            let Call { s, q, .. } = &c;
            let r = async {
                params::parse::<params::NoQuery>(q)?;
                handlers::records::films(s, &p).await
            }
            .await;
            c.finish(r)
        });
        let film = route(&s, &mounted, "film").then(|c: Call| async move {
            let p = c.caller().clone();
            let id = c.params[0].clone();
            let Call { s, q, .. } = &c;
            let r = async {
                params::parse::<params::NoQuery>(q)?;
                handlers::records::film(s, &p, id).await
            }
            .await;
            c.finish(r)
        });
        let cinemas = route(&s, &mounted, "cinemas").then(|c: Call| async move {
            let p = c.caller().clone();
            let Call { s, q, .. } = &c;
            let r = async {
                params::parse::<params::NoQuery>(q)?;
                handlers::records::cinemas(s, &p).await
            }
            .await;
            c.finish(r)
        });
        // After `/v1/cinemas/reporting` and `/v1/cinemas/scorecards` (their own GET paths).
        let cinema = route(&s, &mounted, "cinema").then(|c: Call| async move {
            let p = c.caller().clone();
            let bin = c.params[0].clone();
            let Call { s, q, .. } = &c;
            let r = async {
                params::parse::<params::NoQuery>(q)?;
                handlers::records::cinema(s, &p, bin).await
            }
            .await;
            c.finish(r)
        });
        let history = route(&s, &mounted, "cinema_history").then(|c: Call| async move {
            let p = c.caller().clone();
            let bin = c.params[0].clone();
            let Call { s, q, .. } = &c;
            let r = async {
                params::parse::<params::NoQuery>(q)?;
                handlers::records::cinema_history(s, &p, bin).await
            }
            .await;
            c.finish(r)
        });
        let halls = route(&s, &mounted, "cinema_halls").then(|c: Call| async move {
            let p = c.caller().clone();
            let bin = c.params[0].clone();
            let Call { s, q, .. } = &c;
            let r = async {
                params::parse::<params::NoQuery>(q)?;
                handlers::halls::list(s, &p, bin).await
            }
            .await;
            c.finish(r)
        });
        let fx = route(&s, &mounted, "fx").then(|c: Call| async move {
            let p = c.caller().clone();
            let Call { s, q, .. } = &c;
            let r = async { handlers::records::fx(s, &p, params::parse(q)?).await }.await;
            c.finish(r)
        });
        films
            .boxed()
            .or(film.boxed())
            .unify()
            .or(cinemas.boxed())
            .unify()
            .or(cinema.boxed())
            .unify()
            .or(history.boxed())
            .unify()
            .or(halls.boxed())
            .unify()
            .or(fx.boxed())
            .unify()
            .boxed()
    };

    // The film commission's saved estimates per production (see `handlers::productions`).
    let commission = {
        let list = route(&s, &mounted, "commission_estimates").then(|c: Call| async move {
            let p = c.caller().clone();
            let Call { s, q, .. } = &c;
            let r = async {
                params::parse::<params::NoQuery>(q)?;
                handlers::productions::list(s, &p).await
            }
            .await;
            c.finish(r)
        });
        let save = route(&s, &mounted, "save_estimate").then(|c: Call| async move {
            let p = c.caller().clone();
            let Call { s, q, .. } = &c;
            let r = async {
                params::parse::<params::NoQuery>(q)?;
                // The role first: another role learns nothing from its body's fate.
                handlers::productions::save(s, &p, c.body()?).await
            }
            .await;
            c.finish(r)
        });
        let delete = route(&s, &mounted, "delete_estimate").then(|c: Call| async move {
            let p = c.caller().clone();
            let id = c.params[0].clone();
            let Call { s, q, .. } = &c;
            let r = async {
                params::parse::<params::NoQuery>(q)?;
                handlers::productions::delete(s, &p, id).await
            }
            .await;
            c.finish(r)
        });
        list.boxed()
            .or(save.boxed())
            .unify()
            .or(delete.boxed())
            .unify()
            .boxed()
    };

    let writes = {
        let submit = route(&s, &mounted, "post_claim").then(|c: Call| async move {
            let p = c.caller().clone();
            let Call { s, q, .. } = &c;
            let r = async {
                params::parse::<params::NoQuery>(q)?;
                handlers::claims::submit(s, &p, c.body()?).await
            }
            .await;
            c.finish(r)
        });
        let preview = route(&s, &mounted, "post_claim_preview").then(|c: Call| async move {
            let p = c.caller().clone();
            let Call { s, q, .. } = &c;
            let r = async {
                params::parse::<params::NoQuery>(q)?;
                handlers::claims::preview(s, &p, c.body()?).await
            }
            .await;
            c.finish(r)
        });
        let list = route(&s, &mounted, "claims").then(|c: Call| async move {
            let p = c.caller().clone();
            let Call { s, q, .. } = &c;
            let r = async { handlers::claims::list(s, &p, params::parse(q)?).await }.await;
            c.finish(r)
        });
        let pools = route(&s, &mounted, "pools").then(|c: Call| async move {
            let p = c.caller().clone();
            let Call { s, q, .. } = &c;
            let r = async { handlers::claims::pools(s, &p, params::parse(q)?).await }.await;
            c.finish(r)
        });
        let get = route(&s, &mounted, "claim").then(|c: Call| async move {
            let p = c.caller().clone();
            let id = c.params[0].clone();
            let Call { s, q, .. } = &c;
            let r = async {
                // `/v1/claims/preview` is its own (POST) path, not a claim: a 405.
                if id == "preview" {
                    return Err(ApiError::MethodNotAllowed);
                }
                params::parse::<params::NoQuery>(q)?;
                handlers::claims::get(s, &p, id).await
            }
            .await;
            c.finish(r)
        });
        let decide = route(&s, &mounted, "post_decision").then(|c: Call| async move {
            let p = c.caller().clone();
            let id = c.params[0].clone();
            let Call { s, q, .. } = &c;
            let r = async {
                params::parse::<params::NoQuery>(q)?;
                handlers::claims::decide(s, &p, id, c.body()?).await
            }
            .await;
            c.finish(r)
        });
        let film = route(&s, &mounted, "put_film").then(|c: Call| async move {
            let p = c.caller().clone();
            let id = c.params[0].clone();
            let Call { s, q, .. } = &c;
            let r = async {
                params::parse::<params::NoQuery>(q)?;
                handlers::registry::put_film(s, &p, id, c.body()?).await
            }
            .await;
            c.finish(r)
        });
        let funding = route(&s, &mounted, "post_funding").then(|c: Call| async move {
            let p = c.caller().clone();
            let id = c.params[0].clone();
            let Call { s, q, .. } = &c;
            let r = async {
                params::parse::<params::NoQuery>(q)?;
                handlers::registry::post_funding(s, &p, id, c.body()?).await
            }
            .await;
            c.finish(r)
        });
        let fx = route(&s, &mounted, "put_fx").then(|c: Call| async move {
            let p = c.caller().clone();
            let Call { s, q, .. } = &c;
            let r = async {
                params::parse::<params::NoQuery>(q)?;
                handlers::registry::put_fx(s, &p, c.text("UTF-8 CSV: date,currency,kzt")?).await
            }
            .await;
            c.finish(r)
        });
        let cinema = route(&s, &mounted, "put_cinema").then(|c: Call| async move {
            let p = c.caller().clone();
            let bin = c.params[0].clone();
            let Call { s, q, .. } = &c;
            let r = async {
                // `/v1/cinemas/reporting` and `/v1/cinemas/scorecards` are their own (GET)
                // paths, not cinemas: a 405.
                if bin == "reporting" || bin == "scorecards" {
                    return Err(ApiError::MethodNotAllowed);
                }
                params::parse::<params::NoQuery>(q)?;
                handlers::registry::put_cinema(s, &p, bin, c.body()?).await
            }
            .await;
            c.finish(r)
        });
        let applicant = route(&s, &mounted, "put_applicant").then(|c: Call| async move {
            let p = c.caller().clone();
            let id = c.params[0].clone();
            let Call { s, q, .. } = &c;
            let r = async {
                params::parse::<params::NoQuery>(q)?;
                handlers::registry::put_applicant(s, &p, id, c.body()?).await
            }
            .await;
            c.finish(r)
        });
        let hall_put = route(&s, &mounted, "put_hall").then(|c: Call| async move {
            let p = c.caller().clone();
            let (bin, hall) = (c.params[0].clone(), c.params[1].clone());
            let Call { s, q, .. } = &c;
            let r = async {
                params::parse::<params::NoQuery>(q)?;
                handlers::halls::put(s, &p, bin, hall, c.body()?).await
            }
            .await;
            c.finish(r)
        });
        let hall_delete = route(&s, &mounted, "delete_hall").then(|c: Call| async move {
            let p = c.caller().clone();
            let (bin, hall) = (c.params[0].clone(), c.params[1].clone());
            let Call { s, q, .. } = &c;
            let r = async {
                params::parse::<params::NoQuery>(q)?;
                handlers::halls::delete(s, &p, bin, hall).await
            }
            .await;
            c.finish(r)
        });
        let applicant_get = route(&s, &mounted, "applicant").then(|c: Call| async move {
            let p = c.caller().clone();
            let id = c.params[0].clone();
            let Call { s, q, .. } = &c;
            let r = async {
                params::parse::<params::NoQuery>(q)?;
                handlers::registry::get_applicant(s, &p, id).await
            }
            .await;
            c.finish(r)
        });
        let keys = route(&s, &mounted, "keys").then(|c: Call| async move {
            let p = c.caller().clone();
            let Call { s, q, .. } = &c;
            let r = async {
                params::parse::<params::NoQuery>(q)?;
                handlers::keys::list(s, &p).await
            }
            .await;
            c.finish(r)
        });
        let issue = route(&s, &mounted, "issue_key").then(|c: Call| async move {
            let p = c.caller().clone();
            let Call { s, q, .. } = &c;
            let r = async {
                params::parse::<params::NoQuery>(q)?;
                handlers::keys::issue(s, &p, c.body()?).await
            }
            .await;
            c.finish(r)
        });
        let revoke = route(&s, &mounted, "revoke_key").then(|c: Call| async move {
            let p = c.caller().clone();
            let id = c.params[0].clone();
            let Call { s, q, .. } = &c;
            let r = async {
                params::parse::<params::NoQuery>(q)?;
                handlers::keys::revoke(s, &p, id, c.body()?).await
            }
            .await;
            c.finish(r)
        });
        let key_requests = route(&s, &mounted, "key_requests").then(|c: Call| async move {
            let p = c.caller().clone();
            let Call { s, q, .. } = &c;
            let r = async {
                params::parse::<params::NoQuery>(q)?;
                handlers::keys::requests(s, &p).await
            }
            .await;
            c.finish(r)
        });
        let approve = route(&s, &mounted, "approve_key_request").then(|c: Call| async move {
            let p = c.caller().clone();
            let id = c.params[0].clone();
            let Call { s, q, .. } = &c;
            let r = async {
                params::parse::<params::NoQuery>(q)?;
                handlers::keys::approve(s, &p, id).await
            }
            .await;
            c.finish(r)
        });
        let applicants = route(&s, &mounted, "applicants").then(|c: Call| async move {
            let p = c.caller().clone();
            let Call { s, q, .. } = &c;
            let r = async {
                params::parse::<params::NoQuery>(q)?;
                handlers::keys::applicants(s, &p).await
            }
            .await;
            c.finish(r)
        });
        let audit = route(&s, &mounted, "audit").then(|c: Call| async move {
            let p = c.caller().clone();
            let Call { s, q, .. } = &c;
            let (rest, format) = match split_format(q) {
                Ok(x) => x,
                Err(e) => return c.finish::<()>(Err(e)),
            };
            let r = async { handlers::registry::audit(s, &p, params::parse(&rest)?).await }.await;
            let export = Export {
                columns: schemas::export::AUDIT,
                rows_field: "rows",
            };
            c.finish_list(format, export, r).await
        });
        submit
            .boxed()
            .or(preview.boxed())
            .unify()
            .or(list.boxed())
            .unify()
            .or(pools.boxed())
            .unify()
            .or(fx.boxed())
            .unify()
            .or(get.boxed())
            .unify()
            .or(decide.boxed())
            .unify()
            .or(film.boxed())
            .unify()
            .or(funding.boxed())
            .unify()
            .or(cinema.boxed())
            .unify()
            .or(applicant.boxed())
            .unify()
            .or(applicant_get.boxed())
            .unify()
            .or(hall_put.boxed())
            .unify()
            .or(hall_delete.boxed())
            .unify()
            .or(audit.boxed())
            .unify()
            .or(keys.boxed())
            .unify()
            .or(issue.boxed())
            .unify()
            .or(revoke.boxed())
            .unify()
            .or(key_requests.boxed())
            .unify()
            .or(approve.boxed())
            .unify()
            .or(applicants.boxed())
            .unify()
            .boxed()
    };

    // Cases opened from signals (see `handlers::cases`).
    let cases = {
        let open = route(&s, &mounted, "post_case").then(|c: Call| async move {
            let p = c.caller().clone();
            let Call { s, q, .. } = &c;
            let r = async {
                params::parse::<params::NoQuery>(q)?;
                handlers::cases::open(s, &p, c.body()?).await
            }
            .await;
            c.finish(r)
        });
        let list = route(&s, &mounted, "cases").then(|c: Call| async move {
            let p = c.caller().clone();
            let Call { s, q, .. } = &c;
            let r = async { handlers::cases::all(s, &p, params::parse(q)?).await }.await;
            c.finish(r)
        });
        let of_cinema = route(&s, &mounted, "cinema_cases").then(|c: Call| async move {
            let p = c.caller().clone();
            let bin = c.params[0].clone();
            let Call { s, q, .. } = &c;
            let r = async {
                params::parse::<params::NoQuery>(q)?;
                handlers::cases::of_cinema(s, &p, bin).await
            }
            .await;
            c.finish(r)
        });
        let get = route(&s, &mounted, "case").then(|c: Call| async move {
            let p = c.caller().clone();
            let id = c.params[0].clone();
            let Call { s, q, .. } = &c;
            let r = async {
                params::parse::<params::NoQuery>(q)?;
                handlers::cases::get(s, &p, id).await
            }
            .await;
            c.finish(r)
        });
        let notice = route(&s, &mounted, "post_case_notice").then(|c: Call| async move {
            let p = c.caller().clone();
            let id = c.params[0].clone();
            let Call { s, q, .. } = &c;
            let r = async {
                params::parse::<params::NoQuery>(q)?;
                handlers::cases::notice(s, &p, id, c.body()?).await
            }
            .await;
            c.finish(r)
        });
        let reply = route(&s, &mounted, "post_case_reply").then(|c: Call| async move {
            let p = c.caller().clone();
            let id = c.params[0].clone();
            let Call { s, q, .. } = &c;
            let r = async {
                params::parse::<params::NoQuery>(q)?;
                handlers::cases::reply(s, &p, id, c.body()?).await
            }
            .await;
            c.finish(r)
        });
        let decide = route(&s, &mounted, "post_case_decision").then(|c: Call| async move {
            let p = c.caller().clone();
            let id = c.params[0].clone();
            let Call { s, q, .. } = &c;
            let r = async {
                params::parse::<params::NoQuery>(q)?;
                handlers::cases::decide(s, &p, id, c.body()?).await
            }
            .await;
            c.finish(r)
        });
        open.boxed()
            .or(list.boxed())
            .unify()
            .or(of_cinema.boxed())
            .unify()
            .or(get.boxed())
            .unify()
            .or(notice.boxed())
            .unify()
            .or(reply.boxed())
            .unify()
            .or(decide.boxed())
            .unify()
            .boxed()
    };

    let all = public
        .or(box_office)
        .unify()
        .or(roi)
        .unify()
        .or(cinemas)
        .unify()
        .or(records)
        .unify()
        .or(commission)
        .unify()
        .or(writes)
        .unify()
        .or(cases)
        .unify()
        .boxed();
    mounted.check();
    all
}
