//! Passes the interpreter's configuration to the module as cfgs, as pyo3 sees it: the
//! Python version it is built for (`Py_3_10`, ...), whether it uses the stable ABI
//! (`Py_LIMITED_API`) and whether the interpreter runs without a GIL (`Py_GIL_DISABLED`).

fn main() {
    pyo3_build_config::use_pyo3_cfgs();
}
