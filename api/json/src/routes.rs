//! The JSON face's route table: each `/v1` route's path, method, caller (public, or a key of
//! a role) and handler, around the core's plain handlers. Its replies go through
//! [`crate::reply`] (status, metrics, audit, CSV/Arrow); its errors through
//! `api_edge::problem` only.

use std::time::Instant;

use bytes::Bytes;

use api_core::auth::Principal;
use api_core::error::ApiError;
use api_core::handlers;
use api_core::params;
use api_core::params::Seg;
use api_edge::{body, principal, public, query, state, State};
use warp::filters::BoxedFilter;
use warp::reply::Response;
use warp::{Filter, Reply};

use crate::reply::{finish, finish_as, finish_list, split_format, Export};

/// Every JSON route, unrecovered: the composition root adds the pages, `recover` and the
/// audit step around them.
pub fn routes(s: State) -> BoxedFilter<(Response,)> {
    let body_timeout = std::time::Duration::from_millis(s.settings.body_timeout_ms);
    let public = {
        let health = warp::path!("healthz").and(warp::get()).and(state(s.clone())).then(|s: State| async move {
            let ok = s.ch.query("SELECT 1").execute().await.is_ok();
            let body = serde_json::json!({"status": if ok { "ok" } else { "degraded" }, "clickhouse": ok});
            warp::reply::with_status(warp::reply::json(&body), if ok { warp::http::StatusCode::OK } else { warp::http::StatusCode::SERVICE_UNAVAILABLE }).into_response()
        });
        let openapi = warp::path!("openapi.json")
            .and(warp::get())
            .and(public(s.clone()))
            .map(|| warp::reply::json(crate::openapi::cached()).into_response());
        let metrics = warp::path!("metrics")
            .and(warp::get())
            .and(state(s.clone()))
            .map(|s: State| s.metrics.render().into_response());
        let daily = warp::path!("v1" / "box-office" / "daily")
            .and(warp::get())
            .and(public(s.clone()))
            .and(state(s.clone()))
            .and(query())
            .then(|s: State, q: String| async move {
                let t = Instant::now();
                let r =
                    async { handlers::box_office::daily_chart(&s, params::parse(&q)?).await }.await;
                finish(
                    &s,
                    "GET",
                    "daily_chart",
                    None,
                    "/v1/box-office/daily",
                    &q,
                    t,
                    r,
                )
            });
        let chart = warp::path!("v1" / "box-office" / "chart")
            .and(warp::get())
            .and(public(s.clone()))
            .and(state(s.clone()))
            .and(query())
            .then(|s: State, q: String| async move {
                let t = Instant::now();
                let r = async {
                    handlers::box_office::chart(
                        &s,
                        handlers::box_office::chart_query(&params::parse(&q)?)?,
                    )
                    .await
                }
                .await;
                finish(&s, "GET", "chart", None, "/v1/box-office/chart", &q, t, r)
            });
        let run = warp::path!("v1" / "films" / Seg / "run")
            .and(warp::get())
            .and(public(s.clone()))
            .and(state(s.clone()))
            .and(query())
            .then(|Seg(film): Seg, s: State, q: String| async move {
                let t = Instant::now();
                let r = async {
                    params::parse::<params::NoQuery>(&q)?;
                    handlers::box_office::film_run(&s, &film).await
                }
                .await;
                finish(
                    &s,
                    "GET",
                    "film_run",
                    None,
                    "/v1/films/{film_id}/run",
                    &q,
                    t,
                    r,
                )
            });
        let programmes = warp::path!("v1" / "rebates" / "programmes")
            .and(warp::get())
            .and(public(s.clone()))
            .and(state(s.clone()))
            .and(query())
            .map(|s: State, q: String| {
                let t = Instant::now();
                let r =
                    params::parse::<params::NoQuery>(&q).map(|_| handlers::rebates::programmes(&s));
                finish(
                    &s,
                    "GET",
                    "programmes",
                    None,
                    "/v1/rebates/programmes",
                    &q,
                    t,
                    r,
                )
            });
        let programme = warp::path!("v1" / "rebates" / "programmes" / Seg)
            .and(warp::get())
            .and(public(s.clone()))
            .and(state(s.clone()))
            .and(query())
            .map(|Seg(id): Seg, s: State, q: String| {
                let t = Instant::now();
                let r = params::parse::<params::NoQuery>(&q)
                    .and_then(|_| handlers::rebates::programme(&s, &id));
                finish(
                    &s,
                    "GET",
                    "programme",
                    None,
                    "/v1/rebates/programmes/{id}",
                    &q,
                    t,
                    r,
                )
            });
        let estimate = warp::path!("v1" / "rebates" / "estimate")
            .and(warp::post())
            .and(public(s.clone()))
            .and(state(s.clone()))
            .and(query())
            .and(body(s.settings.body_limit_bytes, body_timeout))
            .then(|s: State, q: String, b: Bytes| async move {
                let t = Instant::now();
                // The engine's work runs on the bounded CPU pool, never on a runtime worker.
                let r = match params::parse(&q) {
                    Ok(cq) => match s.estimate_fx.get(&s.app, &s.fx).await {
                        Ok((fx, source)) => {
                            let shared = s.clone();
                            s.guards
                                .cpu
                                .run(move || {
                                    handlers::rebates::estimate(&shared, cq, &b, &fx, source)
                                })
                                .await
                                .and_then(|r| r)
                        }
                        Err(e) => Err(e),
                    },
                    Err(e) => Err(e),
                };
                finish(
                    &s,
                    "POST",
                    "post_estimate",
                    None,
                    "/v1/rebates/estimate",
                    &q,
                    t,
                    r,
                )
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
            .or(programmes.boxed())
            .unify()
            .or(programme.boxed())
            .unify()
            .or(estimate.boxed())
            .unify()
            .boxed()
    };

    let box_office = {
        let films = warp::path!("v1" / "box-office" / "films")
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(|s: State, p: Principal, q: String| async move {
                let t = Instant::now();
                let (rest, format) = match split_format(&q) {
                    Ok(x) => x,
                    Err(e) => {
                        return finish::<()>(
                            &s,
                            "GET",
                            "films",
                            Some(&p),
                            "/v1/box-office/films",
                            &q,
                            t,
                            Err(e),
                        )
                    }
                };
                let r = async { handlers::box_office::films(&s, &p, params::parse(&rest)?).await }
                    .await;
                let export = Export {
                    columns: schemas::export::BOX_OFFICE_FILMS,
                    rows_field: "rows",
                };
                finish_list(
                    &s,
                    "films",
                    &p,
                    "/v1/box-office/films",
                    &q,
                    t,
                    format,
                    export,
                    r,
                )
                .await
            });
        let film_daily = warp::path!("v1" / "box-office" / "films" / Seg / "daily")
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(
                |Seg(film): Seg, s: State, p: Principal, q: String| async move {
                    let t = Instant::now();
                    let path = format!("/v1/box-office/films/{film}/daily");
                    let (rest, format) = match split_format(&q) {
                        Ok(x) => x,
                        Err(e) => {
                            return finish::<()>(
                                &s,
                                "GET",
                                "film_daily",
                                Some(&p),
                                &path,
                                &q,
                                t,
                                Err(e),
                            )
                        }
                    };
                    let r = async {
                        handlers::box_office::film_daily(&s, &p, film, params::parse(&rest)?).await
                    }
                    .await;
                    let export = Export {
                        columns: schemas::export::FILM_DAILY,
                        rows_field: "rows",
                    };
                    finish_list(&s, "film_daily", &p, &path, &q, t, format, export, r).await
                },
            );
        let regions = warp::path!("v1" / "box-office" / "regions")
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(|s: State, p: Principal, q: String| async move {
                let t = Instant::now();
                let r =
                    async { handlers::box_office::regions(&s, &p, params::parse(&q)?).await }.await;
                finish(
                    &s,
                    "GET",
                    "regions",
                    Some(&p),
                    "/v1/box-office/regions",
                    &q,
                    t,
                    r,
                )
            });
        films.or(film_daily).unify().or(regions).unify().boxed()
    };

    let roi = {
        let film = warp::path!("v1" / "films" / Seg / "roi")
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(
                |Seg(film): Seg, s: State, p: Principal, q: String| async move {
                    let t = Instant::now();
                    let path = format!("/v1/films/{film}/roi");
                    let r = async {
                        params::parse::<params::NoQuery>(&q)?;
                        handlers::roi::film(&s, &p, film).await
                    }
                    .await;
                    finish(&s, "GET", "film_roi", Some(&p), &path, &q, t, r)
                },
            );
        let history = warp::path!("v1" / "films" / Seg / "history")
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(
                |Seg(film): Seg, s: State, p: Principal, q: String| async move {
                    let t = Instant::now();
                    let path = format!("/v1/films/{film}/history");
                    let r = async {
                        params::parse::<params::NoQuery>(&q)?;
                        handlers::registry::film_history(&s, &p, film).await
                    }
                    .await;
                    finish(&s, "GET", "film_history", Some(&p), &path, &q, t, r)
                },
            );
        let summary = warp::path!("v1" / "roi" / "summary")
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(|s: State, p: Principal, q: String| async move {
                let t = Instant::now();
                let r = async { handlers::roi::summary(&s, &p, params::parse(&q)?).await }.await;
                finish(
                    &s,
                    "GET",
                    "roi_summary",
                    Some(&p),
                    "/v1/roi/summary",
                    &q,
                    t,
                    r,
                )
            });
        let films = warp::path!("v1" / "roi" / "films")
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(|s: State, p: Principal, q: String| async move {
                let t = Instant::now();
                let (rest, format) = match split_format(&q) {
                    Ok(x) => x,
                    Err(e) => {
                        return finish::<()>(
                            &s,
                            "GET",
                            "roi_films",
                            Some(&p),
                            "/v1/roi/films",
                            &q,
                            t,
                            Err(e),
                        )
                    }
                };
                let r = async { handlers::roi::films(&s, &p, params::parse(&rest)?).await }.await;
                let export = Export {
                    columns: schemas::export::ROI_FILMS,
                    rows_field: "films",
                };
                finish_list(
                    &s,
                    "roi_films",
                    &p,
                    "/v1/roi/films",
                    &q,
                    t,
                    format,
                    export,
                    r,
                )
                .await
            });
        film.or(history)
            .unify()
            .or(summary)
            .unify()
            .or(films)
            .unify()
            .boxed()
    };

    let cinemas = {
        let silent = warp::path!("v1" / "cinemas" / "reporting")
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(|s: State, p: Principal, q: String| async move {
                let t = Instant::now();
                let r = async { handlers::cinemas::silent(&s, &p, params::parse(&q)?).await }.await;
                finish(
                    &s,
                    "GET",
                    "silent_cinemas",
                    Some(&p),
                    "/v1/cinemas/reporting",
                    &q,
                    t,
                    r,
                )
            });
        let reporting = warp::path!("v1" / "cinemas" / Seg / "reporting")
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(
                |Seg(bin): Seg, s: State, p: Principal, q: String| async move {
                    let t = Instant::now();
                    let path = format!("/v1/cinemas/{bin}/reporting");
                    let r = async {
                        handlers::cinemas::reporting(&s, &p, bin, params::parse(&q)?).await
                    }
                    .await;
                    finish(&s, "GET", "cinema_reporting", Some(&p), &path, &q, t, r)
                },
            );
        let rejected = warp::path!("v1" / "cinemas" / Seg / "rejected")
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(
                |Seg(bin): Seg, s: State, p: Principal, q: String| async move {
                    let t = Instant::now();
                    let path = format!("/v1/cinemas/{bin}/rejected");
                    let (rest, format) = match split_format(&q) {
                        Ok(x) => x,
                        Err(e) => {
                            return finish::<()>(
                                &s,
                                "GET",
                                "cinema_rejected",
                                Some(&p),
                                &path,
                                &q,
                                t,
                                Err(e),
                            )
                        }
                    };
                    let r = async {
                        handlers::cinemas::rejected(&s, &p, bin, params::parse(&rest)?).await
                    }
                    .await;
                    let export = Export {
                        columns: schemas::export::REJECTED,
                        rows_field: "rows",
                    };
                    finish_list(&s, "cinema_rejected", &p, &path, &q, t, format, export, r).await
                },
            );
        let scorecards = warp::path!("v1" / "cinemas" / "scorecards")
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(|s: State, p: Principal, q: String| async move {
                let t = Instant::now();
                let (rest, format) = match split_format(&q) {
                    Ok(x) => x,
                    Err(e) => {
                        return finish::<()>(
                            &s,
                            "GET",
                            "cinema_scorecards",
                            Some(&p),
                            "/v1/cinemas/scorecards",
                            &q,
                            t,
                            Err(e),
                        )
                    }
                };
                let r =
                    async { handlers::cinemas::scorecards(&s, &p, params::parse(&rest)?).await }
                        .await;
                let export = Export {
                    columns: schemas::export::SCORECARDS,
                    rows_field: "rows",
                };
                finish_list(
                    &s,
                    "cinema_scorecards",
                    &p,
                    "/v1/cinemas/scorecards",
                    &q,
                    t,
                    format,
                    export,
                    r,
                )
                .await
            });
        let sales = warp::path!("v1" / "cinemas" / Seg / "sales")
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(
                |Seg(bin): Seg, s: State, p: Principal, q: String| async move {
                    let t = Instant::now();
                    let path = format!("/v1/cinemas/{bin}/sales");
                    let (rest, format) = match split_format(&q) {
                        Ok(x) => x,
                        Err(e) => {
                            return finish::<()>(
                                &s,
                                "GET",
                                "cinema_sales",
                                Some(&p),
                                &path,
                                &q,
                                t,
                                Err(e),
                            )
                        }
                    };
                    let r = async {
                        handlers::cinemas::sales(&s, &p, bin, params::parse(&rest)?).await
                    }
                    .await;
                    let export = Export {
                        columns: schemas::export::CINEMA_SALES,
                        rows_field: "rows",
                    };
                    finish_list(&s, "cinema_sales", &p, &path, &q, t, format, export, r).await
                },
            );
        let screenings = warp::path!("v1" / "cinemas" / Seg / "screenings")
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(
                |Seg(bin): Seg, s: State, p: Principal, q: String| async move {
                    let t = Instant::now();
                    let path = format!("/v1/cinemas/{bin}/screenings");
                    let r = async {
                        handlers::cinemas::screenings(&s, &p, bin, params::parse(&q)?).await
                    }
                    .await;
                    finish(&s, "GET", "cinema_screenings", Some(&p), &path, &q, t, r)
                },
            );
        let tickets = warp::path!("v1" / "tickets")
            .and(warp::post())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .and(warp::header::optional::<String>("content-type"))
            .and(body(s.settings.upload_limit_bytes, body_timeout))
            .then(
                |s: State, p: Principal, q: String, ct: Option<String>, b: Bytes| async move {
                    let t = Instant::now();
                    let r = async {
                        params::parse::<params::NoQuery>(&q)?;
                        handlers::tickets::upload_as(&s, &p, ct.as_deref(), &b).await
                    }
                    .await;
                    finish_as(
                        &s,
                        "POST",
                        "post_tickets",
                        Some(&p),
                        "/v1/tickets",
                        &q,
                        t,
                        r,
                        handlers::tickets::status_of,
                    )
                },
            );
        let corrections = warp::path!("v1" / "cinemas" / Seg / "corrections")
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(
                |Seg(bin): Seg, s: State, p: Principal, q: String| async move {
                    let t = Instant::now();
                    let path = format!("/v1/cinemas/{bin}/corrections");
                    let (rest, format) = match split_format(&q) {
                        Ok(x) => x,
                        Err(e) => {
                            return finish::<()>(
                                &s,
                                "GET",
                                "cinema_corrections",
                                Some(&p),
                                &path,
                                &q,
                                t,
                                Err(e),
                            )
                        }
                    };
                    let r = async {
                        handlers::cinemas::corrections(&s, &p, bin, params::parse(&rest)?).await
                    }
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
                    finish_list(
                        &s,
                        "cinema_corrections",
                        &p,
                        &path,
                        &q,
                        t,
                        format,
                        export,
                        r,
                    )
                    .await
                },
            );
        let flags = warp::path!("v1" / "cinemas" / Seg / "flags")
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(
                |Seg(bin): Seg, s: State, p: Principal, q: String| async move {
                    let t = Instant::now();
                    let path = format!("/v1/cinemas/{bin}/flags");
                    let r =
                        async { handlers::cinemas::flags(&s, &p, bin, params::parse(&q)?).await }
                            .await;
                    finish(&s, "GET", "cinema_flags", Some(&p), &path, &q, t, r)
                },
            );
        let all_corrections = warp::path!("v1" / "corrections")
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(|s: State, p: Principal, q: String| async move {
                let t = Instant::now();
                let (rest, format) = match split_format(&q) {
                    Ok(x) => x,
                    Err(e) => {
                        return finish::<()>(
                            &s,
                            "GET",
                            "corrections",
                            Some(&p),
                            "/v1/corrections",
                            &q,
                            t,
                            Err(e),
                        )
                    }
                };
                let r = async {
                    handlers::cinemas::corrections_all(&s, &p, params::parse(&rest)?).await
                }
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
                finish_list(
                    &s,
                    "corrections",
                    &p,
                    "/v1/corrections",
                    &q,
                    t,
                    format,
                    export,
                    r,
                )
                .await
            });
        silent
            .boxed()
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
        let films = warp::path!("v1" / "films")
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(|s: State, p: Principal, q: String| async move {
                let t = Instant::now();
                let r = async {
                    params::parse::<params::NoQuery>(&q)?;
                    handlers::records::films(&s, &p).await
                }
                .await;
                finish(&s, "GET", "films", Some(&p), "/v1/films", &q, t, r)
            });
        let film = warp::path!("v1" / "films" / Seg)
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(
                |Seg(id): Seg, s: State, p: Principal, q: String| async move {
                    let t = Instant::now();
                    let path = format!("/v1/films/{id}");
                    let r = async {
                        params::parse::<params::NoQuery>(&q)?;
                        handlers::records::film(&s, &p, id).await
                    }
                    .await;
                    finish(&s, "GET", "film", Some(&p), &path, &q, t, r)
                },
            );
        let cinemas = warp::path!("v1" / "cinemas")
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(|s: State, p: Principal, q: String| async move {
                let t = Instant::now();
                let r = async {
                    params::parse::<params::NoQuery>(&q)?;
                    handlers::records::cinemas(&s, &p).await
                }
                .await;
                finish(&s, "GET", "cinemas", Some(&p), "/v1/cinemas", &q, t, r)
            });
        // After `/v1/cinemas/reporting` and `/v1/cinemas/scorecards` (their own GET paths).
        let cinema = warp::path!("v1" / "cinemas" / Seg)
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(
                |Seg(bin): Seg, s: State, p: Principal, q: String| async move {
                    let t = Instant::now();
                    let path = format!("/v1/cinemas/{bin}");
                    let r = async {
                        params::parse::<params::NoQuery>(&q)?;
                        handlers::records::cinema(&s, &p, bin).await
                    }
                    .await;
                    finish(&s, "GET", "cinema", Some(&p), &path, &q, t, r)
                },
            );
        let history = warp::path!("v1" / "cinemas" / Seg / "history")
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(
                |Seg(bin): Seg, s: State, p: Principal, q: String| async move {
                    let t = Instant::now();
                    let path = format!("/v1/cinemas/{bin}/history");
                    let r = async {
                        params::parse::<params::NoQuery>(&q)?;
                        handlers::records::cinema_history(&s, &p, bin).await
                    }
                    .await;
                    finish(&s, "GET", "cinema_history", Some(&p), &path, &q, t, r)
                },
            );
        let fx = warp::path!("v1" / "fx")
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(|s: State, p: Principal, q: String| async move {
                let t = Instant::now();
                let r = async { handlers::records::fx(&s, &p, params::parse(&q)?).await }.await;
                finish(&s, "GET", "fx", Some(&p), "/v1/fx", &q, t, r)
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
            .or(fx.boxed())
            .unify()
            .boxed()
    };

    // The film commission's saved estimates per production (see `handlers::productions`).
    let commission = {
        let limit = s.settings.body_limit_bytes;
        let list = warp::path!("v1" / "commission" / "estimates")
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(|s: State, p: Principal, q: String| async move {
                let t = Instant::now();
                let r = async {
                    params::parse::<params::NoQuery>(&q)?;
                    handlers::productions::list(&s, &p).await
                }
                .await;
                finish(
                    &s,
                    "GET",
                    "commission_estimates",
                    Some(&p),
                    "/v1/commission/estimates",
                    &q,
                    t,
                    r,
                )
            });
        let save = warp::path!("v1" / "commission" / "estimates")
            .and(warp::post())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .and(body(limit, body_timeout))
            .then(|s: State, p: Principal, q: String, b: Bytes| async move {
                let t = Instant::now();
                let r = async {
                    params::parse::<params::NoQuery>(&q)?;
                    // The role first: another role learns nothing from its body's fate.
                    handlers::require(&p, &[api_core::auth::Role::Commission])?;
                    handlers::productions::save(&s, &p, handlers::registry::json(&b)?).await
                }
                .await;
                finish(
                    &s,
                    "POST",
                    "save_estimate",
                    Some(&p),
                    "/v1/commission/estimates",
                    &q,
                    t,
                    r,
                )
            });
        let delete = warp::path!("v1" / "commission" / "estimates" / Seg / "delete")
            .and(warp::post())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .and(body(limit, body_timeout))
            .then(
                |Seg(id): Seg, s: State, p: Principal, q: String, _b: Bytes| async move {
                    let t = Instant::now();
                    let path = format!("/v1/commission/estimates/{id}/delete");
                    let r = async {
                        params::parse::<params::NoQuery>(&q)?;
                        handlers::productions::delete(&s, &p, id).await
                    }
                    .await;
                    finish(&s, "POST", "delete_estimate", Some(&p), &path, &q, t, r)
                },
            );
        list.boxed()
            .or(save.boxed())
            .unify()
            .or(delete.boxed())
            .unify()
            .boxed()
    };

    let writes = {
        let limit = s.settings.body_limit_bytes;
        let submit = warp::path!("v1" / "claims")
            .and(warp::post())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .and(body(limit, body_timeout))
            .then(|s: State, p: Principal, q: String, b: Bytes| async move {
                let t = Instant::now();
                let r = async {
                    params::parse::<params::NoQuery>(&q)?;
                    handlers::claims::submit(&s, &p, &b).await
                }
                .await;
                finish(&s, "POST", "post_claim", Some(&p), "/v1/claims", &q, t, r)
            });
        let preview = warp::path!("v1" / "claims" / "preview")
            .and(warp::post())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .and(body(limit, body_timeout))
            .then(|s: State, p: Principal, q: String, b: Bytes| async move {
                let t = Instant::now();
                let r = async {
                    params::parse::<params::NoQuery>(&q)?;
                    handlers::claims::preview(&s, &p, &b).await
                }
                .await;
                finish(
                    &s,
                    "POST",
                    "post_claim_preview",
                    Some(&p),
                    "/v1/claims/preview",
                    &q,
                    t,
                    r,
                )
            });
        let list = warp::path!("v1" / "claims")
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(|s: State, p: Principal, q: String| async move {
                let t = Instant::now();
                let r = async { handlers::claims::list(&s, &p, params::parse(&q)?).await }.await;
                finish(&s, "GET", "claims", Some(&p), "/v1/claims", &q, t, r)
            });
        let pools = warp::path!("v1" / "rebates" / "pools")
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(|s: State, p: Principal, q: String| async move {
                let t = Instant::now();
                let r = async { handlers::claims::pools(&s, &p, params::parse(&q)?).await }.await;
                finish(&s, "GET", "pools", Some(&p), "/v1/rebates/pools", &q, t, r)
            });
        let get = warp::path!("v1" / "claims" / Seg)
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(
                |Seg(id): Seg, s: State, p: Principal, q: String| async move {
                    let t = Instant::now();
                    let path = format!("/v1/claims/{id}");
                    let r = async {
                        // `/v1/claims/preview` is its own (POST) path, not a claim: a 405.
                        if id == "preview" {
                            return Err(ApiError::MethodNotAllowed);
                        }
                        params::parse::<params::NoQuery>(&q)?;
                        handlers::claims::get(&s, &p, id).await
                    }
                    .await;
                    finish(&s, "GET", "claim", Some(&p), &path, &q, t, r)
                },
            );
        let decide = warp::path!("v1" / "claims" / Seg / "decision")
            .and(warp::post())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .and(body(limit, body_timeout))
            .then(
                |Seg(id): Seg, s: State, p: Principal, q: String, b: Bytes| async move {
                    let t = Instant::now();
                    let path = format!("/v1/claims/{id}/decision");
                    let r = async {
                        params::parse::<params::NoQuery>(&q)?;
                        handlers::claims::decide(&s, &p, id, &b).await
                    }
                    .await;
                    finish(&s, "POST", "post_decision", Some(&p), &path, &q, t, r)
                },
            );
        let film = warp::path!("v1" / "films" / Seg)
            .and(warp::put())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .and(body(limit, body_timeout))
            .then(
                |Seg(id): Seg, s: State, p: Principal, q: String, b: Bytes| async move {
                    let t = Instant::now();
                    let path = format!("/v1/films/{id}");
                    let r = async {
                        params::parse::<params::NoQuery>(&q)?;
                        handlers::registry::put_film(&s, &p, id, &b).await
                    }
                    .await;
                    finish(&s, "PUT", "put_film", Some(&p), &path, &q, t, r)
                },
            );
        let funding = warp::path!("v1" / "films" / Seg / "funding")
            .and(warp::post())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .and(body(limit, body_timeout))
            .then(
                |Seg(id): Seg, s: State, p: Principal, q: String, b: Bytes| async move {
                    let t = Instant::now();
                    let path = format!("/v1/films/{id}/funding");
                    let r = async {
                        params::parse::<params::NoQuery>(&q)?;
                        handlers::registry::post_funding(&s, &p, id, &b).await
                    }
                    .await;
                    finish(&s, "POST", "post_funding", Some(&p), &path, &q, t, r)
                },
            );
        let fx = warp::path!("v1" / "fx")
            .and(warp::put())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .and(body(limit, body_timeout))
            .then(|s: State, p: Principal, q: String, b: Bytes| async move {
                let t = Instant::now();
                let r = async {
                    params::parse::<params::NoQuery>(&q)?;
                    handlers::registry::put_fx(&s, &p, &b).await
                }
                .await;
                finish(&s, "PUT", "put_fx", Some(&p), "/v1/fx", &q, t, r)
            });
        let cinema = warp::path!("v1" / "cinemas" / Seg)
            .and(warp::put())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .and(body(limit, body_timeout))
            .then(
                |Seg(bin): Seg, s: State, p: Principal, q: String, b: Bytes| async move {
                    let t = Instant::now();
                    let path = format!("/v1/cinemas/{bin}");
                    let r = async {
                        // `/v1/cinemas/reporting` and `/v1/cinemas/scorecards` are their own (GET)
                        // paths, not cinemas: a 405.
                        if bin == "reporting" || bin == "scorecards" {
                            return Err(ApiError::MethodNotAllowed);
                        }
                        params::parse::<params::NoQuery>(&q)?;
                        handlers::registry::put_cinema(&s, &p, bin, &b).await
                    }
                    .await;
                    finish(&s, "PUT", "put_cinema", Some(&p), &path, &q, t, r)
                },
            );
        let applicant = warp::path!("v1" / "applicants" / Seg)
            .and(warp::put())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .and(body(limit, body_timeout))
            .then(
                |Seg(id): Seg, s: State, p: Principal, q: String, b: Bytes| async move {
                    let t = Instant::now();
                    let path = format!("/v1/applicants/{id}");
                    let r = async {
                        params::parse::<params::NoQuery>(&q)?;
                        handlers::registry::put_applicant(&s, &p, id, &b).await
                    }
                    .await;
                    finish(&s, "PUT", "put_applicant", Some(&p), &path, &q, t, r)
                },
            );
        let applicant_get = warp::path!("v1" / "applicants" / Seg)
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(
                |Seg(id): Seg, s: State, p: Principal, q: String| async move {
                    let t = Instant::now();
                    let path = format!("/v1/applicants/{id}");
                    let r = async {
                        params::parse::<params::NoQuery>(&q)?;
                        handlers::registry::get_applicant(&s, &p, id).await
                    }
                    .await;
                    finish(&s, "GET", "applicant", Some(&p), &path, &q, t, r)
                },
            );
        let keys = warp::path!("v1" / "keys")
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(|s: State, p: Principal, q: String| async move {
                let t = Instant::now();
                let r = async {
                    params::parse::<params::NoQuery>(&q)?;
                    handlers::keys::list(&s, &p).await
                }
                .await;
                finish(&s, "GET", "keys", Some(&p), "/v1/keys", &q, t, r)
            });
        let issue = warp::path!("v1" / "keys")
            .and(warp::post())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .and(body(limit, body_timeout))
            .then(|s: State, p: Principal, q: String, b: Bytes| async move {
                let t = Instant::now();
                let r = async {
                    params::parse::<params::NoQuery>(&q)?;
                    handlers::keys::issue_json(&s, &p, &b).await
                }
                .await;
                finish(&s, "POST", "issue_key", Some(&p), "/v1/keys", &q, t, r)
            });
        let revoke = warp::path!("v1" / "keys" / Seg / "revoke")
            .and(warp::post())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .and(body(limit, body_timeout))
            .then(
                |Seg(id): Seg, s: State, p: Principal, q: String, b: Bytes| async move {
                    let t = Instant::now();
                    let path = format!("/v1/keys/{id}/revoke");
                    let r = async {
                        params::parse::<params::NoQuery>(&q)?;
                        handlers::keys::revoke_json(&s, &p, id, &b).await
                    }
                    .await;
                    finish(&s, "POST", "revoke_key", Some(&p), &path, &q, t, r)
                },
            );
        let applicants = warp::path!("v1" / "applicants")
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(|s: State, p: Principal, q: String| async move {
                let t = Instant::now();
                let r = async {
                    params::parse::<params::NoQuery>(&q)?;
                    handlers::keys::applicants(&s, &p).await
                }
                .await;
                finish(
                    &s,
                    "GET",
                    "applicants",
                    Some(&p),
                    "/v1/applicants",
                    &q,
                    t,
                    r,
                )
            });
        let audit = warp::path!("v1" / "audit")
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(|s: State, p: Principal, q: String| async move {
                let t = Instant::now();
                let (rest, format) = match split_format(&q) {
                    Ok(x) => x,
                    Err(e) => {
                        return finish::<()>(
                            &s,
                            "GET",
                            "audit",
                            Some(&p),
                            "/v1/audit",
                            &q,
                            t,
                            Err(e),
                        )
                    }
                };
                let r =
                    async { handlers::registry::audit(&s, &p, params::parse(&rest)?).await }.await;
                let export = Export {
                    columns: schemas::export::AUDIT,
                    rows_field: "rows",
                };
                finish_list(&s, "audit", &p, "/v1/audit", &q, t, format, export, r).await
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
            .or(audit.boxed())
            .unify()
            .or(keys.boxed())
            .unify()
            .or(issue.boxed())
            .unify()
            .or(revoke.boxed())
            .unify()
            .or(applicants.boxed())
            .unify()
            .boxed()
    };

    public
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
        .boxed()
}
