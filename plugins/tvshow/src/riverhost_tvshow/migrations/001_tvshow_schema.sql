-- The TV plugin's tables, in a schema of their own (reference §10, adapted): one
-- episode_files row per (file, episode), so a multi-episode file (S01E01E02) records every
-- episode it holds (the seed parsed end_episode and dropped it); files remember size and mtime
-- so a rescan can skip them; credits and genres are replaced whole on a refresh.
CREATE SCHEMA IF NOT EXISTS tvshow;

CREATE TABLE tvshow.series (
    id                  uuid PRIMARY KEY,
    tmdb_id             integer UNIQUE,
    tvdb_id             integer UNIQUE,
    imdb_id             text,
    sonarr_id           integer,
    title               text NOT NULL,
    original_title      text,
    title_norm          text NOT NULL,
    original_title_norm text,
    original_language   text,
    tagline             text,
    overview            text,
    titles_i18n         jsonb NOT NULL DEFAULT '{}',
    overviews_i18n      jsonb NOT NULL DEFAULT '{}',
    taglines_i18n       jsonb NOT NULL DEFAULT '{}',
    age_ratings         jsonb NOT NULL DEFAULT '{}',
    external_ratings    jsonb NOT NULL DEFAULT '{}',
    status              text,
    type                text,
    first_air_date      date,
    last_air_date       date,
    year                integer,
    vote_average        double precision,
    vote_count          integer,
    popularity          double precision,
    poster_path         text,
    backdrop_path       text,
    total_seasons       integer,
    total_episodes      integer,
    trailer_url         text,
    homepage            text,
    library_added_at    timestamptz NOT NULL DEFAULT now(),
    metadata_updated_at timestamptz,
    deleted_at          timestamptz
);
CREATE INDEX series_title_norm ON tvshow.series (title_norm);
CREATE INDEX series_original_title_norm ON tvshow.series (original_title_norm);

CREATE TABLE tvshow.seasons (
    id                  uuid PRIMARY KEY,
    series_id           uuid NOT NULL REFERENCES tvshow.series (id) ON DELETE CASCADE,
    tmdb_id             integer,
    season_number       integer NOT NULL,
    name                text NOT NULL,
    overview            text,
    poster_path         text,
    episode_count       integer,
    air_date            date,
    vote_average        double precision,
    metadata_updated_at timestamptz,
    UNIQUE (series_id, season_number)
);

CREATE TABLE tvshow.episodes (
    id                  uuid PRIMARY KEY,
    series_id           uuid NOT NULL REFERENCES tvshow.series (id) ON DELETE CASCADE,
    season_id           uuid NOT NULL REFERENCES tvshow.seasons (id) ON DELETE CASCADE,
    tmdb_id             integer,
    tvdb_id             integer,
    imdb_id             text,
    season_number       integer NOT NULL,
    episode_number      integer NOT NULL,
    title               text NOT NULL,
    overview            text,
    air_date            date,
    runtime             integer,
    vote_average        double precision,
    vote_count          integer,
    still_path          text,
    metadata_updated_at timestamptz,
    UNIQUE (series_id, season_number, episode_number)
);
CREATE INDEX episodes_season ON tvshow.episodes (season_id);
-- Daily shows: a file's air date names its episode.
CREATE INDEX episodes_air_date ON tvshow.episodes (series_id, air_date);

CREATE TABLE tvshow.episode_files (
    id               uuid PRIMARY KEY,
    episode_id       uuid NOT NULL REFERENCES tvshow.episodes (id) ON DELETE CASCADE,
    library_id       text,
    file_path        text NOT NULL,
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
    audio_languages  text[] NOT NULL DEFAULT '{}',
    subtitle_languages text[] NOT NULL DEFAULT '{}',
    sonarr_file_id   integer,
    created_at       timestamptz NOT NULL DEFAULT now(),
    last_scanned_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at       timestamptz,
    UNIQUE (file_path, episode_id)
);
CREATE INDEX episode_files_episode ON tvshow.episode_files (episode_id);
CREATE INDEX episode_files_library ON tvshow.episode_files (library_id, last_scanned_at)
    WHERE deleted_at IS NULL;

CREATE TABLE tvshow.series_credits (
    series_id      uuid NOT NULL REFERENCES tvshow.series (id) ON DELETE CASCADE,
    tmdb_person_id integer NOT NULL,
    name           text NOT NULL,
    profile_path   text,
    credit_type    text NOT NULL CHECK (credit_type IN ('cast', 'crew')),
    character      text NOT NULL DEFAULT '',
    cast_order     integer,
    job            text NOT NULL DEFAULT '',
    department     text,
    PRIMARY KEY (series_id, credit_type, tmdb_person_id, character, job)
);

CREATE TABLE tvshow.series_genres (
    series_id     uuid NOT NULL REFERENCES tvshow.series (id) ON DELETE CASCADE,
    slug          text NOT NULL,
    name          text NOT NULL,
    tmdb_genre_id integer,
    PRIMARY KEY (series_id, slug)
);

CREATE TABLE tvshow.networks (
    id             uuid PRIMARY KEY,
    tmdb_id        integer NOT NULL UNIQUE,
    name           text NOT NULL,
    logo_path      text,
    origin_country text
);

CREATE TABLE tvshow.series_networks (
    series_id  uuid NOT NULL REFERENCES tvshow.series (id) ON DELETE CASCADE,
    network_id uuid NOT NULL REFERENCES tvshow.networks (id) ON DELETE CASCADE,
    PRIMARY KEY (series_id, network_id)
);

CREATE TABLE tvshow.library_scans (
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
CREATE INDEX library_scans_library ON tvshow.library_scans (library_id, created_at);

-- Files a scan could not match (or skipped as samples): skipped by a rescan while unchanged.
CREATE TABLE tvshow.unmatched_files (
    file_path       text PRIMARY KEY,
    library_id      text NOT NULL,
    file_size       bigint NOT NULL,
    file_mtime_ns   bigint NOT NULL,
    reason          text NOT NULL,
    last_scanned_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX unmatched_files_library ON tvshow.unmatched_files (library_id, last_scanned_at);

-- The PostgreSQL search backend's index: one document per indexed series.
CREATE TABLE tvshow.search_documents (
    series_id  uuid PRIMARY KEY REFERENCES tvshow.series (id) ON DELETE CASCADE,
    title      text NOT NULL,
    year       integer,
    has_file   boolean NOT NULL DEFAULT false,
    document   tsvector NOT NULL,
    indexed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX search_documents_document ON tvshow.search_documents USING gin (document);
