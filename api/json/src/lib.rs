//! The JSON face of the ekino API: the `/v1` routes over the core's handlers
//! ([`routes::routes`]), the shape of each reply ([`reply`]) and the OpenAPI document that
//! describes them ([`openapi`]). It imports the core and the edge, never the web face.

pub mod decode;
pub mod mount;
pub mod openapi;
pub mod reply;
pub mod routes;

pub use routes::routes;
