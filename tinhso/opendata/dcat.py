"""The catalogue in DCAT: an rdflib graph following DCAT-AP 3 (serialised as JSON-LD, Turtle and
RDF/XML at ``/catalog.{jsonld,ttl,rdf}``) and the DCAT-US 1.1 ``data.json`` (Project Open Data).

DCAT-AP 3 mandatory properties written: Catalog dct:title, dct:description, dct:publisher, dcat:dataset;
Dataset dct:title, dct:description (and dct:publisher, as DCAT-US 3 asks); Distribution dcat:accessURL;
Agent foaf:name; DataService dct:title, dcat:endpointURL; contact points vcard:fn and vcard:hasEmail.
Controlled vocabularies are the EU Publications Office authority tables (themes, frequencies, file
types, licences, languages)."""

from __future__ import annotations

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, XSD

from tinhso.opendata import catalog
from tinhso.opendata.models import FREQUENCY_ISO, Dataset, Organization

VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
EU = "http://publications.europa.eu/resource/authority/"
FILE_TYPES = {"CSV": "CSV", "XLSX": "XLSX", "JSON": "JSON", "Parquet": "PARQUET", "GeoJSON": "GEOJSON",
              "datapackage": "JSON", "SDMX-CSV": "CSV"}
LICENCE_URIS = {"CC-BY-4.0": EU + "licence/CC_BY_4_0", "CC-BY-SA-4.0": EU + "licence/CC_BYSA_4_0",
                "CC0-1.0": EU + "licence/CC0"}
FORMATS = {"jsonld": ("json-ld", "application/ld+json"), "ttl": ("turtle", "text/turtle"),
           "rdf": ("pretty-xml", "application/rdf+xml")}


def _org_node(g: Graph, base: str, org: Organization) -> URIRef:
    node = URIRef(f"{base}/du-lieu-mo/don-vi/{org.name}")
    g.add((node, RDF.type, FOAF.Agent))
    g.add((node, FOAF.name, Literal(org.title_vi, lang="vi")))
    if org.title_en:
        g.add((node, FOAF.name, Literal(org.title_en, lang="en")))
    return node


def _contact(g: Graph, name: str, email: str) -> BNode:
    node = BNode()
    g.add((node, RDF.type, VCARD.Kind))
    g.add((node, VCARD.fn, Literal(name)))
    g.add((node, VCARD.hasEmail, URIRef(f"mailto:{email}")))
    return node


def _lang_pair(g: Graph, node, prop, vi: str, en: str) -> None:
    g.add((node, prop, Literal(vi, lang="vi")))
    if en:
        g.add((node, prop, Literal(en, lang="en")))


DCAT_VERSION = URIRef("http://www.w3.org/ns/dcat#version")   # DCAT 3
ADMS_VERSION_NOTES = ADMS.versionNotes


def add_dataset(g: Graph, base: str, ds: Dataset, catalog_node=None) -> URIRef:
    node = URIRef(f"{base}/du-lieu-mo/{ds.name}")
    g.add((node, RDF.type, DCAT.Dataset))
    if catalog_node is not None:
        g.add((catalog_node, DCAT.dataset, node))
    g.add((node, DCTERMS.identifier, Literal(str(ds.id))))
    _lang_pair(g, node, DCTERMS.title, ds.title_vi, ds.title_en)
    _lang_pair(g, node, DCTERMS.description, ds.description_vi, ds.description_en)
    g.add((node, DCTERMS.publisher, _org_node(g, base, ds.publisher)))
    g.add((node, DCAT.contactPoint, _contact(g, ds.contact_name, ds.contact_email)))
    g.add((node, DCAT.theme, URIRef(EU + f"data-theme/{ds.theme}")))
    for word in ds.keywords:
        g.add((node, DCAT.keyword, Literal(word, lang="vi")))
    g.add((node, DCTERMS.accrualPeriodicity, URIRef(EU + f"frequency/{ds.frequency}")))
    g.add((node, DCTERMS.language, URIRef(EU + "language/VIE")))
    g.add((node, DCAT.landingPage, URIRef(f"{base}/du-lieu-mo/{ds.name}")))
    if ds.issued:
        g.add((node, DCTERMS.issued, Literal(ds.issued.isoformat(timespec="seconds"), datatype=XSD.dateTime)))
    g.add((node, DCTERMS.modified, Literal(ds.metadata_modified.isoformat(timespec="seconds"), datatype=XSD.dateTime)))
    g.add((node, DCAT_VERSION, Literal(str(ds.version))))
    if ds.version_notes:
        g.add((node, ADMS_VERSION_NOTES, Literal(ds.version_notes, lang="vi")))
    if ds.temporal_start or ds.temporal_end:
        period = BNode()
        g.add((period, RDF.type, DCTERMS.PeriodOfTime))
        if ds.temporal_start:
            g.add((period, DCAT.startDate, Literal(ds.temporal_start.isoformat(), datatype=XSD.date)))
        if ds.temporal_end:
            g.add((period, DCAT.endDate, Literal(ds.temporal_end.isoformat(), datatype=XSD.date)))
        g.add((node, DCTERMS.temporal, period))
    if ds.spatial:
        place = BNode()
        g.add((place, RDF.type, DCTERMS.Location))
        g.add((place, DCTERMS.identifier, Literal(ds.spatial_code)))
        g.add((place, DCTERMS.title, Literal(ds.spatial, lang="vi")))
        g.add((node, DCTERMS.spatial, place))
    licence = URIRef(LICENCE_URIS.get(ds.licence, f"{base}/du-lieu-mo/giay-phep/{ds.licence}"))
    for dist in ds.distributions.all():
        url = URIRef(base + catalog.download_path(ds, dist))
        d = URIRef(f"{base}/du-lieu-mo/{ds.name}#{dist.file_name}")
        g.add((node, DCAT.distribution, d))
        g.add((d, RDF.type, DCAT.Distribution))
        g.add((d, DCTERMS.title, Literal(dist.file_name)))
        g.add((d, DCAT.accessURL, url))
        g.add((d, DCAT.downloadURL, url))
        g.add((d, DCTERMS.format, URIRef(EU + f"file-type/{FILE_TYPES[dist.format]}")))
        g.add((d, DCAT.mediaType, URIRef("https://www.iana.org/assignments/media-types/"
                                         + dist.media_type.split(";")[0])))
        g.add((d, DCAT.byteSize, Literal(dist.size, datatype=XSD.nonNegativeInteger)))
        g.add((d, DCTERMS.license, licence))
        g.add((d, DCTERMS.modified, Literal(dist.modified.isoformat(timespec="seconds"), datatype=XSD.dateTime)))
        checksum = BNode()
        g.add((checksum, RDF.type, SPDX.Checksum))
        g.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
        g.add((checksum, SPDX.checksumValue, Literal(dist.sha256, datatype=XSD.hexBinary)))
        g.add((d, SPDX.checksum, checksum))
    return node


def graph(base: str) -> Graph:
    from tinhso.opendata import publishing

    g = Graph()
    for prefix, ns in (("dcat", DCAT), ("dct", DCTERMS), ("foaf", FOAF), ("vcard", VCARD), ("spdx", SPDX)):
        g.bind(prefix, ns)
    node = URIRef(f"{base}/catalog")
    g.add((node, RDF.type, DCAT.Catalog))
    _lang_pair(g, node, DCTERMS.title, "Cổng dữ liệu mở của tỉnh", "Provincial open data portal")
    _lang_pair(g, node, DCTERMS.description,
               "Dữ liệu mở do các sở, ngành và Trung tâm điều hành (IOC) của tỉnh công bố.",
               "Open data published by the province's departments and its Intelligent Operations Center.")
    ioc = publishing.ioc()
    g.add((node, DCTERMS.publisher, _org_node(g, base, ioc)))
    g.add((node, FOAF.homepage, URIRef(f"{base}/du-lieu-mo")))
    g.add((node, DCTERMS.language, URIRef(EU + "language/VIE")))
    g.add((node, DCTERMS.license, URIRef(LICENCE_URIS["CC-BY-4.0"])))
    service = URIRef(f"{base}/api/3/action/")
    g.add((service, RDF.type, DCAT.DataService))
    _lang_pair(g, service, DCTERMS.title, "API CKAN của cổng dữ liệu mở", "CKAN Action API of the portal")
    g.add((service, DCAT.endpointURL, service))
    g.add((service, DCTERMS.publisher, _org_node(g, base, ioc)))
    g.add((service, DCAT.contactPoint, _contact(g, ioc.title_vi, ioc.email or publishing.contact_email())))
    g.add((node, DCAT.service, service))
    for ds in catalog.public_datasets().order_by("name"):
        g.add((service, DCAT.servesDataset, add_dataset(g, base, ds, node)))
    return g


def serialise(base: str, fmt: str) -> tuple[bytes, str]:
    rdflib_format, media_type = FORMATS[fmt]
    data = graph(base).serialize(format=rdflib_format, encoding="utf-8")
    return data, media_type


def data_json(base: str) -> dict:
    """The catalogue in DCAT-US 1.1 (``data.json``). ``bureauCode``/``programCode`` are for US federal
    agencies only and are not written."""
    datasets = []
    for ds in catalog.public_datasets().order_by("name"):
        entry = {
            "@type": "dcat:Dataset", "title": ds.title_vi, "description": ds.description_vi,
            "keyword": ds.keywords or [ds.name], "modified": ds.metadata_modified.isoformat(timespec="seconds"),
            "publisher": {"@type": "org:Organization", "name": ds.publisher.title_vi},
            "contactPoint": {"@type": "vcard:Contact", "fn": ds.contact_name, "hasEmail": f"mailto:{ds.contact_email}"},
            "identifier": str(ds.id), "accessLevel": "public",
            "license": catalog.LICENCES.get(ds.licence, (ds.licence, ds.licence))[1],
            "landingPage": f"{base}/du-lieu-mo/{ds.name}", "language": ["vi", "en"], "theme": [ds.theme],
            "accrualPeriodicity": FREQUENCY_ISO[ds.frequency],
            "distribution": [{"@type": "dcat:Distribution", "downloadURL": base + catalog.download_path(ds, d),
                              "mediaType": d.media_type.split(";")[0], "format": d.format, "title": d.file_name}
                             for d in ds.distributions.all()],
        }
        if ds.issued:
            entry["issued"] = ds.issued.date().isoformat()
        if ds.spatial:
            entry["spatial"] = ds.spatial
        if ds.temporal_start and ds.temporal_end:
            entry["temporal"] = f"{ds.temporal_start.isoformat()}/{ds.temporal_end.isoformat()}"
        datasets.append(entry)
    return {"@context": "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld", "@id": f"{base}/data.json",
            "@type": "dcat:Catalog", "conformsTo": "https://project-open-data.cio.gov/v1.1/schema",
            "describedBy": "https://project-open-data.cio.gov/v1.1/schema/catalog.json", "dataset": datasets}
