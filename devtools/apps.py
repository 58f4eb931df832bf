from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    """Benchmarks, load generators and the simulated carrier: installed by the local and
    test settings only, never by production (devtools/README.md)."""

    name = "devtools"
    verbose_name = "Development tools"
