"""The example project's own code, referenced by `_target_` in conf/."""
