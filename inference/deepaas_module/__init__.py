"""Our models served through DEEPaaS (the AI4OS API), as any AI4OS module is:
each module below gives DEEPaaS's model interface (`get_metadata`,
`get_predict_args`, `warm`, `predict`) and is registered under the
`deepaas.v2.model` entry point in pyproject.toml, so `deepaas-run` serves it once
the project is installed. Free of Django: DEEPaaS runs them in its own process.
"""
