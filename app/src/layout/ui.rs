//! Class lists shared by forms and tables on every page, so that a field or
//! a button looks the same everywhere.

pub const INPUT: &str = "rounded-md border border-slate-300 bg-white px-2 py-1 text-sm text-slate-900 dark:border-slate-700 dark:bg-slate-950 dark:text-slate-100";
pub const BUTTON: &str = "rounded-md border border-slate-300 px-2 py-1 text-xs font-medium hover:bg-slate-100 disabled:opacity-50 dark:border-slate-700 dark:hover:bg-slate-800";
pub const BUTTON_PRIMARY: &str = "rounded-md bg-slate-900 px-3 py-1.5 text-sm font-medium text-white hover:bg-slate-700 disabled:opacity-50 dark:bg-slate-100 dark:text-slate-900 dark:hover:bg-slate-300";
pub const CARD: &str = "rounded-md border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-800 dark:bg-slate-900";
pub const TABLE_WRAP: &str =
    "overflow-x-auto rounded-md border border-slate-200 dark:border-slate-800";
pub const TABLE: &str = "w-full text-left text-sm";
pub const THEAD: &str = "bg-slate-100 text-xs uppercase text-slate-500 dark:bg-slate-900";
pub const ROW: &str = "border-t border-slate-200 dark:border-slate-800";
pub const CELL: &str = "px-4 py-2";
pub const LINK: &str = "font-medium underline decoration-slate-300 underline-offset-2 hover:decoration-slate-900 dark:hover:decoration-slate-100";
pub const H2: &str = "mb-3 mt-8 text-lg font-semibold tracking-tight";
pub const LABEL: &str =
    "flex flex-col gap-1 text-xs font-medium text-slate-600 dark:text-slate-300";
