//! The admin console of Parkportal: the pages and API with which gemeente administrators configure
//! logo, theme, zones, tariffs and rule scripts, and staff issue products and allocation letters.
//!
//! Its routes arrive with the issues that build them; until then the console has no pages and no
//! menu entry points at it.
