"""tongban"""
