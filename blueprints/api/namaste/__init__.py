"""NamastePMS API (../shared/seeds/000_e4a737684d814818.txt): views, the contract's parsing and serialising."""
from blueprints.api.namaste.views import bp

__all__ = ["bp"]
