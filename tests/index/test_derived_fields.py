"""The index carries what Kibana shows: entity and place labels from the taxonomy, and places'
coordinates as a geo_point; reading a document back gives the Article unchanged."""

from __future__ import annotations

from pathlib import Path

from indexing.expansion import load_concept_lookup
from indexing.mapping import DERIVED_FIELDS, article_from_source, article_mapping, index_document
from tests.index.corpus import make_article

TAXONOMY = load_concept_lookup(Path(__file__).resolve().parents[2] / "config" / "taxonomy.yaml")

ARTICLE = make_article(
    "https://kcna.example/visit",
    title="Kim Jong Un visits Vladivostok",
    entities=["person.kim_jong_un", "weapon.kn23", "person.not_in_taxonomy"],
    places=["place.vladivostok", "place.pyongyang"],
)


def test_every_place_in_the_taxonomy_has_coordinates_on_earth():
    places = [c for c in TAXONOMY.concepts if c.kind == "place"]
    assert places and all(c.coordinates is not None for c in places)
    assert TAXONOMY.concept("place.pyongyang").coordinates == (39.0392, 125.7625)


def test_the_indexed_document_carries_labels_and_place_locations_from_the_taxonomy():
    document = index_document(ARTICLE, TAXONOMY)
    assert document["entity_labels"] == ["Kim Jong Un", "KN-23 / Hwasong-11", "person.not_in_taxonomy"]
    assert document["place_labels"] == ["Vladivostok", "Pyongyang"]
    assert document["place_locations"] == [
        {"lat": 43.1155, "lon": 131.8855},
        {"lat": 39.0392, "lon": 125.7625},
    ]
    assert article_from_source(document) == ARTICLE


def test_the_mapping_indexes_labels_as_keywords_and_locations_as_geo_points():
    properties = article_mapping()["properties"]
    assert properties["entity_labels"]["type"] == properties["place_labels"]["type"] == "keyword"
    assert properties["place_locations"] == {"type": "geo_point"}
    assert set(DERIVED_FIELDS) <= set(properties)


def test_elasticsearch_stores_the_derived_fields_and_returns_the_article_unchanged(es_backend):
    es_backend.taxonomy = TAXONOMY
    es_backend.ensure_ready()
    result = es_backend.upsert([ARTICLE])
    assert result.failed == 0, result.errors
    found = es_backend.client.search(index=es_backend.alias, query={"term": {"entity_labels": "Kim Jong Un"}})
    (hit,) = found["hits"]["hits"]
    assert hit["_source"]["place_locations"][0] == {"lat": 43.1155, "lon": 131.8855}
    assert es_backend.get(ARTICLE.id) == ARTICLE
    from indexing.backend import SearchRequest

    assert [h.article for h in es_backend.search(SearchRequest("Vladivostok", exact=True)).hits] == [ARTICLE]
