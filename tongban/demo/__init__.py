"""The demo: 杭州市's departments with synthetic people and companies, each department's data
in its own source and shape, their provider agents, requester systems and grants.

``tongban demo seed`` (and ``tongban run``) builds it under ``<data_dir>/demo/``; see
``docs/demo.md``.
"""
