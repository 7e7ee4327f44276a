-- The movie plugin's tables, in a schema of their own (reference §10, adapted):
-- credits are replaced, not soft-deleted (the seed's soft-delete collided with its own unique
-- index and left movies without credits); files remember size and mtime so a rescan can skip
-- them, and which library found them so a rescan can mark the ones that disappeared;
-- titles are kept normalised for matching (rapidfuzz in Python: no pg_trgm needed).
CREATE SCHEMA IF NOT EXISTS movie;

CREATE TABLE movie.movies (
    id                  uuid PRIMARY KEY,
    tmdb_id             integer UNIQUE,
    imdb_id             text,
    title               text NOT NULL,
    original_title      text,
    title_norm          text NOT NULL,
    original_title_norm text,
    year                integer,
    release_date        date,
    runtime             integer,
    overview            text,
    tagline             text,
    status              text,
    original_language   text,
    poster_path         text,
    backdrop_path       text,
    homepage            text,
    vote_average        double precision,
    vote_count          integer,
    popularity          double precision,
    budget              bigint,
    revenue             bigint,
    radarr_id           integer,
    titles_i18n         jsonb NOT NULL DEFAULT '{}',
    taglines_i18n       jsonb NOT NULL DEFAULT '{}',
    overviews_i18n      jsonb NOT NULL DEFAULT '{}',
    age_ratings         jsonb NOT NULL DEFAULT '{}',
    external_ratings    jsonb NOT NULL DEFAULT '{}',
    library_added_at    timestamptz NOT NULL DEFAULT now(),
    metadata_updated_at timestamptz,
    deleted_at          timestamptz,
    title_words         tsvector GENERATED ALWAYS AS (
        to_tsvector('simple', title_norm || ' ' || coalesce(original_title_norm, ''))
    ) STORED
);
CREATE INDEX movies_imdb_id ON movie.movies (imdb_id);
CREATE INDEX movies_title_norm ON movie.movies (title_norm);
CREATE INDEX movies_original_title_norm ON movie.movies (original_title_norm);
-- Candidates for a file's parsed title: any word in common (then scored in Python).
CREATE INDEX movies_title_words ON movie.movies USING gin (title_words);

CREATE TABLE movie.movie_files (
    id               uuid PRIMARY KEY,
    movie_id         uuid NOT NULL REFERENCES movie.movies (id) ON DELETE CASCADE,
    library_id       text,
    file_path        text NOT NULL UNIQUE,
    file_name        text NOT NULL,
    file_size        bigint NOT NULL,
    file_mtime_ns    bigint NOT NULL,
    container        text,
    resolution       text,
    width            integer,
    height           integer,
    video_codec      text,
    audio_codec      text,
    audio_channels   integer,
    bitrate_kbps     integer,
    duration_seconds double precision,
    framerate        double precision,
    quality_profile  text,
    probe_error      text,
    match_type       text NOT NULL,
    match_confidence double precision,
    radarr_file_id   integer,
    is_monitored     boolean NOT NULL DEFAULT true,
    created_at       timestamptz NOT NULL DEFAULT now(),
    last_scanned_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at       timestamptz
);
CREATE INDEX movie_files_movie_id ON movie.movie_files (movie_id);
-- The end of a scan marks files of its library it did not see.
CREATE INDEX movie_files_library ON movie.movie_files (library_id, last_scanned_at)
    WHERE deleted_at IS NULL;

CREATE TABLE movie.movie_credits (
    movie_id       uuid NOT NULL REFERENCES movie.movies (id) ON DELETE CASCADE,
    tmdb_person_id integer NOT NULL,
    name           text NOT NULL,
    profile_path   text,
    credit_type    text NOT NULL CHECK (credit_type IN ('cast', 'crew')),
    character      text NOT NULL DEFAULT '',
    cast_order     integer,
    job            text NOT NULL DEFAULT '',
    department     text,
    PRIMARY KEY (movie_id, credit_type, tmdb_person_id, character, job)
);

CREATE TABLE movie.movie_genres (
    movie_id      uuid NOT NULL REFERENCES movie.movies (id) ON DELETE CASCADE,
    slug          text NOT NULL,
    name          text NOT NULL,
    tmdb_genre_id integer,
    PRIMARY KEY (movie_id, slug)
);

CREATE TABLE movie.library_scans (
    id               uuid PRIMARY KEY,
    library_id       text NOT NULL,
    job_id           bigint,
    scan_type        text NOT NULL CHECK (scan_type IN ('full', 'incremental')),
    status           text NOT NULL
        CHECK (status IN ('pending', 'running', 'completed', 'failed', 'cancelled')),
    items_scanned    integer NOT NULL DEFAULT 0,
    items_added      integer NOT NULL DEFAULT 0,
    items_updated    integer NOT NULL DEFAULT 0,
    items_unchanged  integer NOT NULL DEFAULT 0,
    items_removed    integer NOT NULL DEFAULT 0,
    errors_count     integer NOT NULL DEFAULT 0,
    errors           jsonb NOT NULL DEFAULT '[]',
    error_message    text,
    started_at       timestamptz,
    completed_at     timestamptz,
    duration_seconds double precision,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX library_scans_library ON movie.library_scans (library_id, created_at);

-- The PostgreSQL search backend's index: one document per indexed movie ('simple' config:
-- no stemming, so names and foreign titles match as written).
CREATE TABLE movie.search_documents (
    movie_id   uuid PRIMARY KEY REFERENCES movie.movies (id) ON DELETE CASCADE,
    title      text NOT NULL,
    year       integer,
    document   tsvector NOT NULL,
    indexed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX search_documents_document ON movie.search_documents USING gin (document);
